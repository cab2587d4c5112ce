package fleet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// VideoExts are the files a submitted folder contributes, one job each.
var VideoExts = []string{".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".ts", ".mts", ".mpg", ".mpeg", ".flv", ".wmv", ".y4m"}

// ExpandSources turns submit's arguments into sources: a file stays itself (made absolute:
// workers elsewhere read the same shared path), a folder gives every video file under it
// (sorted), and anything else that is not a path (synth:…, rtsp://…) is kept as written.
func ExpandSources(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		switch {
		case a == "synth" || strings.HasPrefix(a, "synth:"): // a synthetic drive, even beside a folder named synth
			out = append(out, a)
			continue
		case err != nil && strings.Contains(a, ":"):
			out = append(out, a) // a URL
			continue
		case err != nil:
			return nil, fmt.Errorf("%w: %s: %v (give video files, folders of videos, synth:… or URLs)", ErrJob, a, err)
		}
		abs, err := filepath.Abs(a)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrJob, a, err)
		}
		if !st.IsDir() {
			out = append(out, abs)
			continue
		}
		var found []string
		err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() && slices.Contains(VideoExts, strings.ToLower(filepath.Ext(p))) {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%w: folder %s: %v", ErrJob, a, err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%w: folder %s holds no video files (%s); to replay a folder of images as one drive, name it in a manifest",
				ErrJob, a, strings.Join(VideoExts, " "))
		}
		slices.Sort(found)
		out = append(out, found...)
	}
	return out, nil
}

// ManifestJob is one entry of a manifest (and its defaults): any field left out comes from the
// manifest's defaults.
type ManifestJob struct {
	ID         string         `yaml:"id"`
	Source     string         `yaml:"source"`
	Model      string         `yaml:"model"`
	Classifier string         `yaml:"classifier"`
	Settings   map[string]any `yaml:"settings"`
	Output     *Output        `yaml:"output"`
}

// Manifest is a YAML file of jobs:
//
//	defaults:                      # optional: fields every job below starts from
//	  model: /shared/models/m.onnx
//	  settings: {classes: 19}
//	  output: {dir: /shared/out}   # or {bucket: metaood-outputs}
//	jobs:
//	  - source: /shared/drives/a.mp4
//	  - source: /shared/drives/b.mp4
//	    id: drive-b                # optional: default derived from the job's content
//	    settings: {frames: 600}    # merged over the defaults' settings
type Manifest struct {
	Defaults ManifestJob   `yaml:"defaults"`
	Jobs     []ManifestJob `yaml:"jobs"`
}

// ReadManifest reads a manifest; out is the output for jobs that name none; relative paths
// (sources, models, classifiers, output folders) are taken from the manifest's folder.
func ReadManifest(path string, out Output) ([]Job, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrJob, err)
	}
	jobs, err := ParseManifest(data, filepath.Dir(path), out)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return jobs, nil
}

// ParseManifest reads a manifest's YAML (strict: unknown keys are errors); base resolves
// relative paths.
func ParseManifest(data []byte, base string, out Output) ([]Job, error) {
	var m Manifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: manifest: %s", ErrJob, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if len(m.Jobs) == 0 {
		return nil, fmt.Errorf("%w: manifest has no jobs (want a list under 'jobs:', each with a source)", ErrJob)
	}
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) || strings.Contains(p, ":") {
			return p
		}
		a, _ := filepath.Abs(filepath.Join(base, p))
		return a
	}
	seen := map[string]int{}
	var jobs []Job
	for i, e := range m.Jobs {
		d := m.Defaults
		if e.Source == "" {
			return nil, fmt.Errorf("%w: manifest job %d has no source", ErrJob, i+1)
		}
		settings := maps.Clone(d.Settings)
		if settings == nil && e.Settings != nil {
			settings = map[string]any{}
		}
		maps.Copy(settings, e.Settings)
		o := out
		for _, p := range []*Output{d.Output, e.Output} {
			if p != nil {
				o = Output{Bucket: p.Bucket, Dir: abs(p.Dir)}
			}
		}
		j, err := NewJob(abs(e.Source), abs(or(e.Model, d.Model)), abs(or(e.Classifier, d.Classifier)), settings, o)
		if err != nil {
			return nil, err
		}
		if e.ID != "" {
			j.ID = e.ID
		}
		if err := j.Validate(); err != nil {
			return nil, fmt.Errorf("manifest job %d (%s): %w", i+1, e.Source, err)
		}
		if prev, ok := seen[j.ID]; ok {
			return nil, fmt.Errorf("%w: manifest jobs %d and %d have the same id %s (the same job twice?)", ErrJob, prev, i+1, j.ID)
		}
		seen[j.ID] = i + 1
		jobs = append(jobs, j)
	}
	return jobs, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
