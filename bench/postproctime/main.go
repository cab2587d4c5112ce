// Command postproctime times postproc.Process on the side-by-side maps (bench/sidebyside.sh):
// each map's probabilities with its GT, best of -repeat calls on the calling goroutine. Loading is
// not timed. It prints one line per case: NAME best_ms median_ms components kernels.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/metaood/metaood/internal/npy"
	"github.com/metaood/metaood/postproc"
)

func main() {
	repeat := flag.Int("repeat", 20, "calls per map; the best and the median are printed")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: postproctime [-repeat N] MAPS_DIR [CASE ...]  (MAPS_DIR from bench/upsample_maps.py)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() < 1 || *repeat < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), flag.Args()[1:], *repeat); err != nil {
		fmt.Fprintln(os.Stderr, "postproctime:", err)
		os.Exit(1)
	}
}

func run(dir string, cases []string, repeat int) error {
	if len(cases) == 0 {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("%w (run bench/upsample_maps.py first)", err)
		}
		for _, e := range ents {
			if e.IsDir() {
				cases = append(cases, e.Name())
			}
		}
	}
	runtime.LockOSThread() // one goroutine, one OS thread: with taskset, one core
	p := postproc.New(postproc.DefaultOptions())
	for _, name := range cases {
		a, err := npy.ReadFile(filepath.Join(dir, name, "probs.npy"))
		if err != nil {
			return err
		}
		if len(a.Shape) != 3 || a.F32 == nil {
			return fmt.Errorf("%s: probs.npy has shape %v, want float32 (C, H, W)", name, a.Shape)
		}
		gt, gw, gh, err := postproc.ReadLabelPNG(filepath.Join(dir, name, "gt.png"))
		if err != nil {
			return err
		}
		in := postproc.Input{C: a.Shape[0], H: a.Shape[1], W: a.Shape[2], Data: a.F32, GT: gt}
		if gw != in.W || gh != in.H {
			return fmt.Errorf("%s: gt.png is %dx%d, probs.npy %dx%d", name, gw, gh, in.W, in.H)
		}
		times := make([]time.Duration, 0, repeat)
		comps := 0
		for range repeat + 1 { // the first call warms the pool: not counted
			t0 := time.Now()
			r, err := p.Process(in)
			d := time.Since(t0)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			comps = len(r.Components)
			r.Release()
			times = append(times, d)
		}
		times = times[1:]
		slices.Sort(times)
		fmt.Printf("%s best %.3f median %.3f components %d kernels %s\n", name,
			ms(times[0]), ms(times[len(times)/2]), comps, postproc.Kernels())
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
