package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/metaood/metaood/fleet"
)

func cmdSubmit(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("submit", pflag.ContinueOnError)
	var url string
	s := fleet.DefaultSetup()
	fleetFlags(fs, &url, &s)
	model := fs.String("model", "", "segmentation model .onnx, at a path every worker can read (default: the built-in tiny model)")
	classifier := fs.String("classifier", "", "meta classifier JSON, at a path every worker can read (default: beside the model, else built-in)")
	sets := fs.StringArray("set", nil, "a replay setting KEY=VALUE for every job, by its metaood.yml key, repeatable (e.g. --set frames=600 --set classes=19)")
	outDir := fs.String("out-dir", "", "store outputs in this shared folder (DIR/<job id>/) instead of the object store")
	bucket := fs.String("bucket", fleet.DefaultBucket, "object store bucket for the outputs")
	manifest := fs.String("manifest", "", "YAML file of jobs (sources, models, settings, outputs); see 'metaood submit --help'")
	redo := fs.Bool("redo", false, "queue jobs that already ran (done or failed) again; their outputs are replaced")
	logLevel := fs.String("log-level", "warn", "debug | info | warn | error")
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, `Usage: metaood submit [flags] FILE|FOLDER|synth:…|URL …
       metaood submit --manifest jobs.yml

Queues one replay job per video (a folder gives every video under it) for 'metaood worker'.
Paths are made absolute: workers must see them at the same path (a shared folder). A job's id
comes from its content, so submitting the same drive twice queues it once (--redo runs it again).

A manifest:
  defaults:                      # optional, for every job below
    model: /shared/models/m.onnx
    settings: {classes: 19}
    output: {dir: /shared/out}   # or {bucket: metaood-outputs}
  jobs:
    - source: /shared/drives/a.mp4
    - source: /shared/drives/b.mp4
      id: drive-b                # optional
      settings: {frames: 600}

Job settings (metaood.yml keys): `+strings.Join(fleet.JobSettingKeys, ", ")+`

Flags:
`)
		fs.PrintDefaults()
	}
	fs.SortFlags = false
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return badUsage(err)
	}
	out := fleet.Output{Bucket: *bucket}
	if *outDir != "" {
		abs, err := filepath.Abs(*outDir)
		if err != nil {
			return badUsage(fmt.Errorf("--out-dir: %v", err))
		}
		out = fleet.Output{Dir: abs}
	}
	settings, err := parseSets(*sets)
	if err != nil {
		return badUsage(err)
	}
	var jobs []fleet.Job
	switch {
	case *manifest != "" && fs.NArg() > 0:
		return badUsage(errors.New("give either --manifest or sources, not both"))
	case *manifest != "":
		if jobs, err = fleet.ReadManifest(*manifest, out); err != nil {
			return err
		}
	case fs.NArg() == 0:
		return badUsage(errors.New("nothing to submit: give video files, folders, synth:… specs, or --manifest FILE"))
	default:
		srcs, err := fleet.ExpandSources(fs.Args())
		if err != nil {
			return err
		}
		for _, src := range srcs {
			j, err := fleet.NewJob(src, absPath(*model), absPath(*classifier), settings, out)
			if err != nil {
				return err
			}
			if err := j.Validate(); err != nil {
				return err
			}
			jobs = append(jobs, j)
		}
	}
	f, nc, err := openFleet(ctx, url, "metaood submit", s, *logLevel)
	if err != nil {
		return err
	}
	defer nc.Close()
	res, err := fleet.Submit(ctx, f, jobs, *redo)
	queued := 0
	for i, r := range res {
		if r.Queued {
			queued++
			fmt.Printf("queued   %s  %s\n", r.ID, jobs[i].Source)
		} else {
			fmt.Printf("skipped  %s  %s\n", r.ID, r.Why)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "metaood submit: %d of %d jobs queued; 'metaood jobs --watch' follows them\n", queued, len(jobs))
	return nil
}

// parseSets reads --set KEY=VALUE pairs; values are YAML scalars (600, true, 512x256, 1m).
func parseSets(sets []string) (map[string]any, error) {
	if len(sets) == 0 {
		return nil, nil
	}
	m := map[string]any{}
	for _, kv := range sets {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("--set %q: want KEY=VALUE, e.g. --set frames=600", kv)
		}
		var val any
		if err := yaml.Unmarshal([]byte(v), &val); err != nil {
			return nil, fmt.Errorf("--set %s: %v", kv, err)
		}
		if val == nil {
			val = "" // --set video= (no video)
		}
		m[k] = val
	}
	return m, nil
}

// absPath makes a local path absolute (workers read the same shared path); "" stays "".
func absPath(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
