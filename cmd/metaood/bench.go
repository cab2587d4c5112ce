package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/metaood/metaood/capture"
	"github.com/metaood/metaood/config"
	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/internal/app"
	"github.com/metaood/metaood/internal/cputime"
	"github.com/metaood/metaood/pipeline"
	"github.com/metaood/metaood/postproc"
	"github.com/metaood/metaood/render"
)

// benchResult is what `metaood bench` measured. CPU times are of the whole process (Go and
// ONNX Runtime threads), so "CPU-ms per frame" is what a frame costs whatever the core count.
type benchResult struct {
	Frames        int
	Bare          float64 // frames per second of Infer alone (mean of a run before and after the pipeline)
	BareRuns      [2]float64
	BareCPU       float64    // CPU-ms per frame of the bare inference runs
	Pipeline      float64    // frames per second of the whole pipeline
	PipelineCPU   float64    // CPU-ms per frame of the pipeline run (all stages, outputs included)
	PostAlone     [2]float64 // postproc alone (one goroutine, nothing else running): p50, p99 ms per frame
	PostAloneCPU  float64    // and its CPU-ms per frame
	Stages        map[string][2]float64
	Provider      string
	Batch         int  // frames per inference call
	Head          bool // the dispersion head ran in the model graph
	Model, Source string
	Outputs       bool    // the pipeline ran with its outputs (video, events)
	Cores         int     // runtime.NumCPU
	Threads       int     // ONNX Runtime intra-op threads
	Workers       int     // postproc workers of the pipeline run
	WorkerNice    int     // their nice value (0 = unchanged)
	Kernels       string  // postproc's per-pixel kernels: avx2 | scalar
	AllocKB       float64 // Go heap KB allocated per frame during the pipeline run
	GCs           uint32  // garbage collections during the pipeline run
}

// cmdBench measures bare inference and full-pipeline throughput on the same frames held in memory.
func cmdBench(ctx context.Context, args []string) error {
	c := config.Default()
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	fs.SortFlags = false
	src := fs.String("source", "", "frames to use (a video file, images, synth[:…]), read into memory first (default: the synthetic drive at 1024x512)")
	n := fs.Int("frames", 20, "frames to time (after 2 warm-up inferences)")
	noOut := fs.Bool("no-outputs", false, "time the pipeline without its outputs (annotated video, events)")
	fs.StringVar(&c.Model, "model", c.Model, "segmentation model .onnx (default: the built-in tiny model)")
	fs.StringVar(&c.Preset, "preset", c.Preset, "input preprocessing: rgb01 | imagenet | bgr01 | bgr-imagenet")
	fs.IntVar(&c.Classes, "classes", c.Classes, "keep the first K output channels (0 = all)")
	fs.StringVar(&c.InputSize, "input-size", c.InputSize, "WxH to run a dynamic-size model at (default: the meta classifier's map size, else the frame size)")
	fs.IntVar(&c.Batch, "batch", c.Batch, "max frames per inference call")
	fs.StringVar(&c.Provider, "provider", c.Provider, "execution provider: cpu | cuda | tensorrt")
	fs.IntVar(&c.Threads, "threads", c.Threads, "ONNX Runtime intra-op threads (0 = all cores)")
	fs.IntVar(&c.Workers, "workers", c.Workers, "postproc workers (0 = one per core)")
	fs.Float64Var(&c.Threshold, "threshold", c.Threshold, "normalized-entropy threshold")
	fs.StringVar(&c.Classifier, "classifier", c.Classifier, "meta classifier JSON (default: NAME.metaclf.json beside --model NAME.onnx if it exists, else built in)")
	fs.BoolVar(&c.Force, "force", c.Force, "use a meta classifier trained for another model or map size anyway (a warning instead of an error)")
	fs.IntVar(&c.WorkerNice, "worker-nice", c.WorkerNice, "nice value of the postproc workers (Linux; 0 = unchanged): inference preempts them")
	fs.StringVar(&c.ROI, "roi", c.ROI, "region of interest polygon \"x,y;…\" (default: the whole frame; the built-in drive leaves out its hood)")
	fs.BoolVar(&c.DispersionHead, "dispersion-head", c.DispersionHead, "compute entropy, argmax, top-2 and the uncertain pixels' probabilities inside the model graph")
	fs.StringVar(&c.TRTCache, "trt-cache", c.TRTCache, "TensorRT engine cache folder")
	fs.BoolVar(&c.TRTFP16, "trt-fp16", c.TRTFP16, "let TensorRT build fp16 engines")
	fs.IntVar(&c.Device, "device", c.Device, "GPU device id for cuda/tensorrt")
	batches := fs.IntSlice("batches", nil, "time each of these batch sizes in turn with one engine (e.g. 1,4,8; default: --batch)")
	cpuProf := fs.String("cpuprofile", "", "write a CPU profile of the pipeline run (not the bare runs) to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return badUsage(err)
	}
	if *n < 1 {
		return badUsage(fmt.Errorf("--frames %d; want at least 1", *n))
	}
	if !fs.Changed("source") { // the built-in drive, as long as --frames asks
		*src = fmt.Sprintf("synth:frames=%d,size=1024x512", *n)
		if !fs.Changed("roi") {
			c.ROI = config.SynthROI
		}
	}
	c.Sources = []string{*src}
	for _, b := range *batches {
		if b < 1 {
			return badUsage(fmt.Errorf("--batches: %d; want batch sizes of at least 1, e.g. 1,4,8", b))
		}
		c.Batch = max(c.Batch, b) // the engine is opened for the largest
	}
	if len(*batches) == 0 {
		*batches = []int{c.Batch}
	}
	if err := c.Validate(); err != nil {
		return badUsage(err)
	}
	return runBenches(ctx, c, benchOptions{frames: *n, outputs: !*noOut, cpuProfile: *cpuProf, workerNice: c.WorkerNice}, *batches, os.Stdout)
}

// runBenches opens the model once (for the largest batch) and measures each batch size in turn,
// printing a table for each, then a line per batch size to compare them.
func runBenches(ctx context.Context, c config.Run, o benchOptions, batches []int, w io.Writer) error {
	log := newLogger("warn", os.Stderr)
	frames, err := loadFrames(ctx, c.Sources[0], o.frames)
	if err != nil {
		return err
	}
	model, err := app.OpenModel(c, nil, log)
	if err != nil {
		return err
	}
	defer model.Engine.Close()
	var all []benchResult
	for i, b := range batches {
		cb := c
		cb.Batch = b
		res, err := measureBench(ctx, cb, o, model, frames)
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		printBench(w, res)
		all = append(all, res)
	}
	if len(all) > 1 {
		fmt.Fprintf(w, "\nsummary (%s, provider %s, %d frames of %dx%d):\n", all[0].Model, all[0].Provider, all[0].Frames, frames[0].W, frames[0].H)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "batch\tbare fps\tpipeline fps\tbare CPU-ms/frame\tpipeline CPU-ms/frame\tinfer p50 ms/call\tpostproc p50 ms\t")
		for _, r := range all {
			fmt.Fprintf(tw, "%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.2f\t%.2f\t\n", r.Batch, r.Bare, r.Pipeline, r.BareCPU, r.PipelineCPU,
				r.Stages[pipeline.StageInfer][0], r.Stages[pipeline.StagePostproc][0])
		}
		tw.Flush()
	}
	return nil
}

// benchOptions are the knobs of runBench besides the run configuration.
type benchOptions struct {
	frames     int    // frames to time
	outputs    bool   // run the pipeline with its outputs (video, events)
	cpuProfile string // if set, a CPU profile of the pipeline run goes to this file
	workerNice int    // pipeline.Config.WorkerNice
}

// runBench measures one batch size (c.Batch).
func runBench(ctx context.Context, c config.Run, o benchOptions) (benchResult, error) {
	log := newLogger("warn", os.Stderr)
	frames, err := loadFrames(ctx, c.Sources[0], o.frames)
	if err != nil {
		return benchResult{}, err
	}
	model, err := app.OpenModel(c, nil, log)
	if err != nil {
		return benchResult{}, err
	}
	defer model.Engine.Close()
	return measureBench(ctx, c, o, model, frames)
}

// measureBench times bare inference, postproc alone and the pipeline on frames with model,
// c.Batch frames per inference call (at most what the engine was opened for).
func measureBench(ctx context.Context, c config.Run, o benchOptions, model *app.Model, frames []*frame.Frame) (benchResult, error) {
	res := benchResult{Model: app.ModelName(c.Model), Source: c.Sources[0], Outputs: o.outputs, Cores: runtime.NumCPU(),
		Kernels: postproc.Kernels(), Batch: c.Batch, Head: c.DispersionHead}
	res.Frames = len(frames)
	var err error
	seg, clf := model.Segmenter, model.Classifier
	res.Provider = model.Engine.Provider()
	for i := 0; i < 2; i++ { // warm-up: session optimisation, buffer pools
		if err := bareOnce(seg, frames[:min(c.Batch, len(frames))]); err != nil {
			return res, err
		}
	}
	var bareCPU time.Duration
	bare := func() (float64, error) {
		t0, cpu0 := time.Now(), cputime.Process()
		for i := 0; i < len(frames); i += c.Batch {
			if err := ctx.Err(); err != nil { // Ctrl-C
				return 0, err
			}
			if err := bareOnce(seg, frames[i:min(i+c.Batch, len(frames))]); err != nil {
				return 0, err
			}
		}
		bareCPU += cputime.Process() - cpu0
		return float64(len(frames)) / time.Since(t0).Seconds(), nil
	}
	if res.BareRuns[0], err = bare(); err != nil {
		return res, err
	}
	roi, err := c.RegionOfInterest()
	if err != nil {
		return res, err
	}
	an := app.NewAnalyzer(c, roi)
	if res.PostAlone, res.PostAloneCPU, err = postprocAlone(ctx, seg, an, frames); err != nil {
		return res, err
	}
	var sinks []pipeline.Sink
	if o.outputs { // what `metaood run` writes: annotated video and events (to a temporary folder)
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
	stopProf := func() {}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return res, fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return res, fmt.Errorf("--cpuprofile %s: %w", o.cpuProfile, err)
		}
		stopProf = pprof.StopCPUProfile
	}
	res.Workers, res.WorkerNice, res.Threads = c.Workers, o.workerNice, c.Threads
	if res.Threads <= 0 || res.Threads > res.Cores {
		res.Threads = res.Cores // infer's rule: all cores, never more
	}
	if res.Workers <= 0 {
		res.Workers = runtime.GOMAXPROCS(0) // the pipeline's default
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := cputime.Process()
	sum, err := pipeline.Run(ctx, pipeline.Config{
		Sources: []frame.Source{&memSource{id: "bench", frames: frames}}, Segmenter: seg,
		Analyzer: an, Classifier: clf, Batch: c.Batch, Workers: c.Workers,
		WorkerNice: o.workerNice, Provider: res.Provider, Metrics: m, StatsEvery: -1, Sinks: sinks,
	})
	pipeCPU := cputime.Process() - cpu0
	runtime.ReadMemStats(&ms1)
	stopProf()
	if err != nil {
		return res, app.FitCause(err)
	}
	res.Pipeline = sum.FPS
	if sum.Frames > 0 {
		res.PipelineCPU = ms(pipeCPU) / float64(sum.Frames)
		res.AllocKB = float64(ms1.TotalAlloc-ms0.TotalAlloc) / 1024 / float64(sum.Frames)
		res.GCs = ms1.NumGC - ms0.NumGC
	}
	if res.BareRuns[1], err = bare(); err != nil { // again, so load drift on a shared machine evens out
		return res, err
	}
	res.Bare = (res.BareRuns[0] + res.BareRuns[1]) / 2
	res.BareCPU = ms(bareCPU) / float64(2*len(frames))
	res.Stages = map[string][2]float64{}
	for name, q := range m.Quantiles() {
		res.Stages[name] = [2]float64{q.P50MS, q.P99MS}
	}
	return res, nil
}

// postprocAlone times the analyzer on the model's maps of frames, one frame after the other with
// nothing else running: the p50 and p99 wall ms per frame and the CPU-ms per frame. Set against the
// postproc row of the pipeline it shows what sharing the cores with inference costs.
func postprocAlone(ctx context.Context, seg pipeline.Segmenter, an pipeline.Analyzer, frames []*frame.Frame) ([2]float64, float64, error) {
	walls := make([]float64, 0, len(frames))
	var cpu time.Duration
	for _, f := range frames {
		if err := ctx.Err(); err != nil {
			return [2]float64{}, 0, err
		}
		maps, err := seg.Segment([]*frame.Frame{f})
		if err != nil {
			return [2]float64{}, 0, err
		}
		m := maps[0]
		if m.Err == nil {
			t0, c0 := time.Now(), cputime.Process()
			a, err := an.Analyze(m)
			cpu += cputime.Process() - c0
			walls = append(walls, ms(time.Since(t0)))
			if err != nil {
				return [2]float64{}, 0, fmt.Errorf("postproc of frame %d: %w", f.Seq, err)
			}
			a.Release()
		}
		if m.Release != nil {
			m.Release()
		}
	}
	if len(walls) == 0 {
		return [2]float64{}, 0, nil
	}
	slices.Sort(walls)
	q := func(p float64) float64 { return walls[min(len(walls)-1, int(p*float64(len(walls))))] }
	return [2]float64{q(0.5), q(0.99)}, ms(cpu) / float64(len(walls)), nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

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
	frames, err := capture.ReadAll(ctx, src, n)
	if err != nil && len(frames) == 0 {
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

func (s *memSource) ID() string                  { return s.id }
func (s *memSource) Mode() frame.Mode            { return frame.Replay }
func (s *memSource) FPS() float64                { return 0 }
func (s *memSource) Open() (frame.Stream, error) { return &memStream{s: s}, nil }

type memStream struct {
	s *memSource
	i int
}

func (m *memStream) Describe() string { return "frames in memory" }
func (m *memStream) Close()           {}
func (m *memStream) Next() (*frame.Frame, error) {
	if m.i >= len(m.s.frames) {
		return nil, io.EOF
	}
	g := *m.s.frames[m.i]
	g.Source, g.Seq, g.Captured = m.s.id, uint64(m.i), time.Now()
	m.i++
	return &g, nil
}

// printBench writes the bench table: throughputs and their ratio, CPU cost per frame, the per-stage
// split, and the CPU budget that bounds the pipeline on this machine.
func printBench(w io.Writer, r benchResult) {
	fmt.Fprintf(w, "metaood bench: %d frames of %s through %s\n", r.Frames, r.Source, r.Model)
	nice := ""
	if r.WorkerNice > 0 {
		nice = fmt.Sprintf(" at nice %d", r.WorkerNice)
	}
	head := ""
	if r.Head {
		head = ", dispersion head in the graph"
	}
	fmt.Fprintf(w, "provider %s, batch %d%s, %d cores, %d inference threads, %d postproc workers%s, postproc kernels %s\n\n",
		r.Provider, r.Batch, head, r.Cores, r.Threads, r.Workers, nice, r.Kernels)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tfps\tCPU-ms/frame\t\t")
	fmt.Fprintf(tw, "bare inference\t%.2f\t%.1f\t(runs %.2f, %.2f; %.2f of %d cores busy)\t\n", r.Bare, r.BareCPU,
		r.BareRuns[0], r.BareRuns[1], r.Bare*r.BareCPU/1000, r.Cores)
	with := "with video + events"
	if !r.Outputs {
		with = "without outputs"
	}
	fmt.Fprintf(tw, "full pipeline\t%.2f\t%.1f\t(%s; %.2f of %d cores busy)\t\n", r.Pipeline, r.PipelineCPU, with,
		r.Pipeline*r.PipelineCPU/1000, r.Cores)
	// CPU-ms per frame is the headline: fps swings with whatever else runs on the machine.
	fmt.Fprintf(tw, "CPU on top of inference\t\t%+.1f %%\t(goal ≤ 5 %%; steady under load)\t\n", 100*(r.PipelineCPU-r.BareCPU)/r.BareCPU)
	fmt.Fprintf(tw, "fps ratio\t%.1f %%\t\t(goal ≥ 90 %%; moves with machine load)\t\n", 100*r.Pipeline/r.Bare)
	tw.Flush()
	if a, b := r.BareRuns[0], r.BareRuns[1]; a > 0 && b > 0 && max(a, b) > 1.15*min(a, b) {
		fmt.Fprintf(w, "warning: the bare runs before and after the pipeline differ by %.0f %%: something else used the\n"+
			"  cores meanwhile, so fps and ratio are unreliable (CPU-ms per frame are not); run again on an idle machine\n",
			100*(max(a, b)/min(a, b)-1))
	}
	fmt.Fprintln(w, "\nper stage, wall ms per frame (infer: per call)")
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
	fmt.Fprintf(tw, "postproc alone\t%.2f\t%.2f\t  (one frame at a time, nothing else running: %.1f CPU-ms/frame)\n",
		r.PostAlone[0], r.PostAlone[1], r.PostAloneCPU)
	tw.Flush()
	fmt.Fprintln(w, strings.Repeat("-", 40))
	fmt.Fprintln(w, "capture = wait between a frame's arrival and its inference (queueing); total = arrival to outputs")
	fmt.Fprintf(w, "Go heap: %.0f KB allocated per frame, %d garbage collections during the pipeline run\n", r.AllocKB, r.GCs)
	if r.PipelineCPU > 0 && r.Bare > 0 {
		budget := 1000 * float64(r.Cores) // CPU-ms per second
		fmt.Fprintf(w, "CPU budget: %d cores = %.0f CPU-ms per second. The pipeline spent %.1f CPU-ms per frame (inference alone %.1f,\n"+
			"  postproc alone %.1f), so on CPU grounds it cannot exceed %.1f fps; 90 %% of bare inference (%.1f fps) needs\n"+
			"  at most %.1f CPU-ms per frame in all. Where inference already uses every core, the other stages cannot hide behind it.\n",
			r.Cores, budget, r.PipelineCPU, r.BareCPU, r.PostAloneCPU, budget/r.PipelineCPU, 0.9*r.Bare, budget/(0.9*r.Bare))
	}
}
