package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"metaood/capture"
	"metaood/config"
	"metaood/frame"
	"metaood/pipeline"
	"metaood/render"
)

// benchResult is what `metaood bench` measured.
type benchResult struct {
	Frames        int
	Bare          float64 // frames per second of Infer alone (mean of a run before and after the pipeline)
	BareRuns      [2]float64
	Pipeline      float64 // frames per second of the whole pipeline, sinks excluded
	Stages        map[string][2]float64
	Provider      string
	Model, Source string
	Outputs       bool // the pipeline ran with its outputs (video, events)
}

// cmdBench measures bare inference and full-pipeline throughput on the same frames held in memory.
func cmdBench(ctx context.Context, args []string) error {
	c := config.Default()
	c.Sources = []string{"synth:frames=40,size=1024x512"}
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	fs.SortFlags = false
	src := fs.String("source", c.Sources[0], "frames to use (a video file, images, synth[:…]); read into memory first")
	n := fs.Int("frames", 20, "frames to time (after 2 warm-up inferences)")
	noOut := fs.Bool("no-outputs", false, "time the pipeline without its outputs (annotated video, events)")
	fs.StringVar(&c.Model, "model", c.Model, "segmentation model .onnx (default: the built-in tiny model)")
	fs.StringVar(&c.Preset, "preset", c.Preset, "input preprocessing: rgb01 | imagenet | bgr01 | bgr-imagenet")
	fs.IntVar(&c.Classes, "classes", c.Classes, "keep the first K output channels (0 = all)")
	fs.StringVar(&c.InputSize, "input-size", c.InputSize, "WxH to run a dynamic-size model at")
	fs.IntVar(&c.Batch, "batch", c.Batch, "max frames per inference call")
	fs.StringVar(&c.Provider, "provider", c.Provider, "execution provider: cpu | cuda | tensorrt")
	fs.IntVar(&c.Workers, "workers", c.Workers, "postproc workers (0 = one per core)")
	fs.Float64Var(&c.Threshold, "threshold", c.Threshold, "normalized-entropy threshold")
	fs.StringVar(&c.Classifier, "classifier", c.Classifier, "meta classifier JSON (default: built in)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return badUsage(err)
	}
	c.Sources = []string{*src}
	if *n < 1 {
		return badUsage(fmt.Errorf("--frames %d; want at least 1", *n))
	}
	if err := c.Validate(); err != nil {
		return badUsage(err)
	}
	res, err := runBench(ctx, c, *n, !*noOut)
	if err != nil {
		return err
	}
	printBench(os.Stdout, res)
	return nil
}

func runBench(ctx context.Context, c config.Run, n int, outputs bool) (benchResult, error) {
	log := newLogger("warn", os.Stderr)
	res := benchResult{Model: modelName(c.Model), Source: c.Sources[0], Outputs: outputs}
	frames, err := loadFrames(ctx, c.Sources[0], n)
	if err != nil {
		return res, err
	}
	res.Frames = len(frames)
	seg, eng, err := openEngine(c, nil, log)
	if err != nil {
		return res, err
	}
	defer eng.Close()
	res.Provider = eng.Provider()
	clf, err := loadClassifier(c.Classifier, eng.Classes())
	if err != nil {
		return res, err
	}
	for i := 0; i < 2; i++ { // warm-up: session optimisation, buffer pools
		if err := bareOnce(seg, frames[:min(c.Batch, len(frames))]); err != nil {
			return res, err
		}
	}
	bare := func() (float64, error) {
		t0 := time.Now()
		for i := 0; i < len(frames); i += c.Batch {
			if err := bareOnce(seg, frames[i:min(i+c.Batch, len(frames))]); err != nil {
				return 0, err
			}
		}
		return float64(len(frames)) / time.Since(t0).Seconds(), nil
	}
	if res.BareRuns[0], err = bare(); err != nil {
		return res, err
	}
	var sinks []pipeline.Sink
	if outputs { // what `metaood run` writes: annotated video and events (to a temporary folder)
		tmp, err := os.MkdirTemp("", "metaood-bench-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(tmp)
		tc, _ := c.Tracker()
		sinks = append(sinks, pipeline.NewJSONLSink("events", io.Discard, nil),
			render.NewSink(render.SinkOptions{Dir: tmp, Video: "bench.mp4", Corridor: tc.Corridor}))
	}
	m := pipeline.NewMetrics()
	sum, err := pipeline.Run(ctx, pipeline.Config{
		Sources: []pipeline.Source{&memSource{id: "bench", frames: frames}}, Segmenter: seg,
		Analyzer: newAnalyzer(c.Threshold, !c.Probs), Classifier: clf, Batch: c.Batch, Workers: c.Workers,
		Provider: eng.Provider(), Metrics: m, StatsEvery: -1, Sinks: sinks,
	})
	if err != nil {
		return res, err
	}
	res.Pipeline = sum.FPS
	if res.BareRuns[1], err = bare(); err != nil { // again, so load drift on a shared machine evens out
		return res, err
	}
	res.Bare = (res.BareRuns[0] + res.BareRuns[1]) / 2
	res.Stages = map[string][2]float64{}
	for name, q := range m.Quantiles() {
		res.Stages[name] = [2]float64{q.P50MS, q.P99MS}
	}
	return res, nil
}

func bareOnce(seg pipeline.Segmenter, frames []*frame.Frame) error {
	maps, err := seg.Segment(frames)
	if err != nil {
		return err
	}
	for _, m := range maps {
		if m.Release != nil {
			m.Release()
		}
	}
	return nil
}

// loadFrames reads up to n frames of spec into memory (copies, so they can be replayed).
func loadFrames(ctx context.Context, spec string, n int) ([]*frame.Frame, error) {
	src, err := capture.Open(spec, capture.Options{Limit: n}, nil)
	if err != nil {
		return nil, err
	}
	ch := make(chan *frame.Frame, 4)
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx, ch); close(ch) }()
	var frames []*frame.Frame
	for f := range ch {
		if len(frames) < n {
			frames = append(frames, f)
		}
	}
	if err := <-errc; err != nil && len(frames) == 0 {
		return nil, err
	}
	if len(frames) == 0 {
		return nil, fmt.Errorf("--source %s gave no frames", spec)
	}
	return frames, nil
}

// memSource replays frames held in memory, as fast as the pipeline takes them.
type memSource struct {
	id     string
	frames []*frame.Frame
}

func (s *memSource) ID() string { return s.id }
func (s *memSource) Live() bool { return false }
func (s *memSource) Run(ctx context.Context, out chan<- *frame.Frame) error {
	for i, f := range s.frames {
		g := *f
		g.Source, g.Seq, g.Captured = s.id, uint64(i), time.Now()
		select {
		case out <- &g:
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

func printBench(w io.Writer, r benchResult) {
	fmt.Fprintf(w, "metaood bench: %d frames of %s through %s (provider %s)\n\n", r.Frames, r.Source, r.Model, r.Provider)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "bare inference\t%.2f fps\t(runs %.2f, %.2f)\t\n", r.Bare, r.BareRuns[0], r.BareRuns[1])
	with := "with video + events"
	if !r.Outputs {
		with = "without outputs"
	}
	fmt.Fprintf(tw, "full pipeline\t%.2f fps\t(%s)\t\n", r.Pipeline, with)
	fmt.Fprintf(tw, "ratio\t%.1f %%\t(goal ≥ 90 %%)\t\n", 100*r.Pipeline/r.Bare)
	tw.Flush()
	fmt.Fprintln(w, "\nper stage (ms per frame; infer: per call)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage\tp50\tp99\t")
	names := make([]string, 0, len(r.Stages))
	for k := range r.Stages {
		names = append(names, k)
	}
	order := []string{pipeline.StageCapture, pipeline.StageInfer, pipeline.StagePostproc, pipeline.StageMetaclf, pipeline.StageSink, pipeline.StageTotal}
	slices.SortFunc(names, func(a, b string) int { return slices.Index(order, a) - slices.Index(order, b) })
	for _, k := range names {
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t\n", k, r.Stages[k][0], r.Stages[k][1])
	}
	tw.Flush()
	fmt.Fprintln(w, strings.Repeat("-", 40))
	fmt.Fprintln(w, "capture = wait between a frame's arrival and its inference (queueing); total = arrival to outputs")
}
