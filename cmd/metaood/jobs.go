package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/metaood/metaood/fleet"
	"github.com/metaood/metaood/internal/progress"
)

func cmdJobs(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("jobs", pflag.ContinueOnError)
	var url string
	s := fleet.DefaultSetup()
	fleetFlags(fs, &url, &s)
	watch := fs.Bool("watch", false, "redraw every --interval until every job shown has finished")
	wait := fs.Bool("wait", false, "like --watch, then exit 1 if any job shown failed (for scripts)")
	interval := fs.Duration("interval", 2*time.Second, "how often --watch and --wait redraw")
	asJSON := fs.Bool("json", false, "print each job's status as one JSON line")
	get := fs.String("get", "", "copy the outputs of the job named (one id) from the object store into this folder (DIR/<id>/)")
	bucket := fs.String("bucket", fleet.DefaultBucket, "object store bucket --get reads")
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, `Usage: metaood jobs [flags] [JOB-ID-PREFIX …]

The fleet's replay jobs: state (queued, running, done, failed with its reason), deliveries
(more than one: a worker died, timed out or a try failed), the worker, progress and speed.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return badUsage(err)
	}
	if *interval < 100*time.Millisecond {
		return badUsage(fmt.Errorf("--interval %v: want at least 100ms", *interval))
	}
	f, nc, err := openFleet(ctx, url, "metaood jobs", s, "warn")
	if err != nil {
		return err
	}
	defer nc.Close()
	if *get != "" {
		if fs.NArg() != 1 {
			return badUsage(errors.New("--get DIR takes exactly one job id"))
		}
		files, err := fleet.FetchOutputs(ctx, f.JS, *bucket, fs.Arg(0), *get)
		for _, p := range files {
			fmt.Println(p)
		}
		return err
	}
	tty := progress.IsTerminal(os.Stdout)
	for {
		all, err := fleet.ListStatus(ctx, f.Status)
		if err != nil {
			return err
		}
		sts := filterJobs(all, fs.Args())
		switch {
		case *asJSON:
			enc := json.NewEncoder(os.Stdout)
			for _, st := range sts {
				enc.Encode(st)
			}
		default:
			if (*watch || *wait) && tty {
				fmt.Print("\x1b[H\x1b[2J") // redraw in place
			}
			printJobs(os.Stdout, sts, f.Setup, time.Now())
		}
		finished := !slices.ContainsFunc(sts, func(s fleet.Status) bool { return !s.Terminal() })
		if !*watch && !*wait {
			return nil
		}
		if finished {
			if failed := countState(sts, fleet.Failed); *wait && failed > 0 {
				return fmt.Errorf("%d of %d jobs failed", failed, len(sts))
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*interval):
		}
	}
}

// filterJobs keeps the jobs whose id starts with one of prefixes (all when none).
func filterJobs(sts []fleet.Status, prefixes []string) []fleet.Status {
	if len(prefixes) == 0 {
		return sts
	}
	var out []fleet.Status
	for _, s := range sts {
		if slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(s.ID, p) }) {
			out = append(out, s)
		}
	}
	return out
}

func countState(sts []fleet.Status, state string) int {
	n := 0
	for _, s := range sts {
		if s.State == state {
			n++
		}
	}
	return n
}

// printJobs writes the progress view: one line per job, then the fleet's totals.
func printJobs(w io.Writer, sts []fleet.Status, setup fleet.Setup, now time.Time) {
	if len(sts) == 0 {
		fmt.Fprintln(w, "no jobs (metaood submit queues some)")
		return
	}
	idw := len("JOB")
	for _, s := range sts {
		idw = max(idw, len(s.ID))
	}
	fmt.Fprintf(w, "%-*s  %-7s  %-5s  %-16s  %-32s  %6s  %6s  %s\n", idw, "JOB", "STATE", "TRY", "WORKER", "PROGRESS", "FPS", "EVENTS", "NOTE")
	workers := map[string]bool{}
	var fps float64
	for _, s := range sts {
		try := "-"
		if s.Deliveries > 0 {
			try = fmt.Sprintf("%d/%d", s.Deliveries, setup.MaxDeliver)
		}
		note := s.Reason
		switch {
		case s.State == fleet.Done:
			note = s.Output
		case s.State == fleet.Running && now.Sub(s.Updated) > 2*setup.AckWait:
			note = fmt.Sprintf("no sign of life for %v: its worker may have died (redelivered after the ack wait)", now.Sub(s.Updated).Round(time.Second))
		case s.State == fleet.Running:
			workers[s.Worker] = true
			fps += s.FPS
		}
		rate := ""
		if s.State == fleet.Running || s.State == fleet.Done {
			rate = fmt.Sprintf("%.1f", s.FPS)
		}
		fmt.Fprintf(w, "%-*s  %-7s  %-5s  %-16s  %-32s  %6s  %6d  %s\n", idw, s.ID, s.State, try, clip(s.Worker, 16),
			progressBar(s), rate, s.Events, note)
	}
	fmt.Fprintf(w, "\n%d jobs: %d queued, %d running, %d done, %d failed", len(sts), countState(sts, fleet.Queued),
		countState(sts, fleet.Running), countState(sts, fleet.Done), countState(sts, fleet.Failed))
	if len(workers) > 0 {
		fmt.Fprintf(w, "; %d workers busy at %.1f fps in all", len(workers), fps)
	}
	fmt.Fprintln(w)
}

// progressBar is a job's frames done as a bar when the total is known, else a count.
func progressBar(s fleet.Status) string {
	if s.TotalFrames <= 0 {
		if s.Frames == 0 {
			return ""
		}
		return fmt.Sprintf("%d frames", s.Frames)
	}
	const width = 16
	done := min(width, int(s.Frames)*width/s.TotalFrames)
	return fmt.Sprintf("[%s%s] %d/%d", strings.Repeat("=", done), strings.Repeat(" ", width-done), s.Frames, s.TotalFrames)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
