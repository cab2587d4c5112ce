package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/metaood/metaood/segmodel"
	"github.com/metaood/metaood/synth"
)

// cmdSynthModel is `metaood synth model`: retrain the tiny segmentation model on synthetic
// drives and report its held-out pixel accuracy and entropies.
func cmdSynthModel(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("synth model", pflag.ContinueOnError)
	fs.SortFlags = false
	out := fs.String("out", "tiny.onnx", "where to write the ONNX model (segmodel/tiny.onnx is the embedded default)")
	seed := fs.Int64("seed", 1, "training drive seed; the held-out evaluation uses seed+1000")
	frames := fs.Int("frames", 0, "training frames (0 = the default recipe's 48)")
	proxies := fs.Int("proxies", -1, "proxy-anomaly images for entropy maximisation (-1 = the default recipe's)")
	share := fs.Float64("share", 0, "pasted share of each proxy image, ≤ 0.2 is 'informative' (0 = the default recipe's)")
	epochs := fs.Int("epochs", 0, "training epochs (0 = default)")
	evalFrames := fs.Int("eval-frames", 0, "held-out frames to evaluate on (0 = default)")
	workers := fs.Int("workers", 2, "goroutines for rendering, training and evaluation")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: metaood synth model [flags]\n\nRetrains the tiny segmentation model and prints its held-out accuracy.\n\nFlags:")
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	// Fail before minutes of training, not after.
	if st, err := os.Stat(filepath.Dir(*out)); err != nil || !st.IsDir() {
		return fmt.Errorf("%w: --out %s: folder %s does not exist", errUsage, *out, filepath.Dir(*out))
	}
	r := segmodel.DefaultRecipe(*seed)
	for _, c := range []struct {
		flag, want string
		bad        bool
	}{
		{"--frames", "≥ 0", *frames < 0}, {"--proxies", "≥ -1", *proxies < -1}, {"--epochs", "≥ 0", *epochs < 0},
		{"--eval-frames", "≥ 0", *evalFrames < 0}, {"--workers", "≥ 1", *workers < 1},
		{"--share", "in [0, 1)", *share < 0 || *share >= 1 || *share != *share},
	} {
		if c.bad {
			return fmt.Errorf("%w: %s is out of range: want %s", errUsage, c.flag, c.want)
		}
	}
	if *frames > 0 {
		r.TrainData.Frames = *frames
	}
	if *proxies >= 0 {
		r.TrainData.Proxies = *proxies
	}
	if *share > 0 {
		r.TrainData.ProxyShare = *share
	}
	if *epochs > 0 {
		r.Train.Epochs = *epochs
	}
	if *evalFrames > 0 {
		r.EvalData.Frames = *evalFrames
	}
	r.Train.Workers = *workers
	r.Train.Logf = func(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...) }
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	res, err := segmodel.Make(r)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, res.Model, 0o644); err != nil {
		return fmt.Errorf("write model: %w (check --out)", err)
	}
	e := res.Eval
	fmt.Printf("wrote %s (%d bytes) in %s\n", *out, len(res.Model), time.Since(start).Round(time.Millisecond))
	fmt.Printf("trained on %d pixels (%d proxy-anomaly) from %d frames + %d proxies (seed %d)\n",
		res.Train.Samples, res.Train.Uniform, r.TrainData.Frames, r.TrainData.Proxies, r.TrainData.Seed)
	fmt.Printf("held-out (seed %d, frames %d.. step %d, %d frames): pixel accuracy on known classes %.4f (%d pixels)\n",
		r.EvalData.Seed, r.EvalData.First, r.EvalData.Step, r.EvalData.Frames, e.Accuracy, e.Known)
	fmt.Printf("mean normalized entropy: anomaly pixels %.4f (%d), known pixels %.4f\n", e.EntropyAnomaly, e.Anomaly, e.EntropyKnown)
	fmt.Println("per-class accuracy (pixels):")
	for c := range segmodel.Classes {
		if n := e.ClassPixels[c]; n > 0 {
			fmt.Printf("  %-14s %.3f (%d)\n", synth.ClassNames[c], float64(e.ClassCorrect[c])/float64(n), n)
		}
	}
	return nil
}
