package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"metaood/capture"
	"metaood/config"
	"metaood/event"
	"metaood/frame"
	"metaood/infer"
	"metaood/metaclf"
	"metaood/pipeline"
	"metaood/postproc"
	"metaood/render"
	"metaood/segmodel"
	"metaood/stream"
)

// runFlags binds the flags of `metaood run` to c (whose values are the defaults shown).
func runFlags(c *config.Run, fs *pflag.FlagSet) (cfgFile *string, noVideo, replay *bool) {
	fs.SortFlags = false
	cfgFile = fs.String("config", "", "YAML settings file (see metaood.yml); flags override it")
	fs.StringArrayVar(&c.Sources, "source", c.Sources, "input, repeatable: video file, image folder/glob, cam:N, rtsp:// URL, gst:<pipeline>, synth[:seed=1,frames=300,size=1024x512]")
	fs.BoolVar(&c.Realtime, "realtime", c.Realtime, "pace files/synth at their frame rate and drop frames when behind (live)")
	replay = fs.Bool("replay", false, "process every frame as fast as possible (the default for files and synth)")
	fs.IntVar(&c.Frames, "frames", c.Frames, "stop after N frames in all (0 = until the sources end)")
	fs.StringVar(&c.Model, "model", c.Model, "segmentation model .onnx (default: the built-in tiny model)")
	fs.StringVar(&c.Preset, "preset", c.Preset, "input preprocessing: rgb01 | imagenet | bgr01 | bgr-imagenet")
	fs.IntVar(&c.Classes, "classes", c.Classes, "keep the first K output channels (19 for Cityscapes exports with a void channel; 0 = all)")
	fs.StringVar(&c.InputSize, "input-size", c.InputSize, "WxH to run a dynamic-size model at (default: frame size)")
	fs.BoolVar(&c.Probs, "probs", c.Probs, "the model outputs probabilities, not logits")
	fs.IntVar(&c.Batch, "batch", c.Batch, "max frames per inference call")
	fs.StringVar(&c.Provider, "provider", c.Provider, "execution provider: cpu | cuda | tensorrt")
	fs.BoolVar(&c.AllowFallback, "allow-fallback", c.AllowFallback, "run on the CPU, with a warning, when the cuda/tensorrt provider cannot start (default: an error)")
	fs.IntVar(&c.Device, "device", c.Device, "GPU id for cuda | tensorrt")
	fs.StringVar(&c.TRTCache, "trt-cache", c.TRTCache, "TensorRT engine cache folder: the first run builds the engine, later runs load it")
	fs.BoolVar(&c.TRTFP16, "trt-fp16", c.TRTFP16, "let TensorRT build fp16 engines")
	fs.IntVar(&c.Threads, "threads", c.Threads, "ONNX Runtime intra-op threads (0 = all cores)")
	fs.StringVar(&c.OrtLib, "ort-lib", c.OrtLib, "libonnxruntime.so to load (default: $"+infer.LibEnv+", then <repo>/.cache/ort from 'make setup')")
	fs.IntVar(&c.Workers, "workers", c.Workers, "postproc workers (0 = one per core)")
	fs.IntVar(&c.WorkerNice, "worker-nice", c.WorkerNice, "nice value of the postproc workers (Linux; 0 = unchanged): inference preempts them, they fill idle CPU")
	fs.StringVar(&c.ROI, "roi", c.ROI, "region of interest polygon \"x,y;x,y;…\" in fractions of the frame; pixels outside are never anomalies (e.g. the ego hood); default: the whole frame")
	fs.Float64Var(&c.Threshold, "threshold", c.Threshold, "normalized-entropy threshold of the anomaly mask")
	fs.StringVar(&c.Classifier, "classifier", c.Classifier, "meta classifier JSON (default: the built-in one)")
	fs.Float64Var(&c.ClfThreshold, "classifier-threshold", c.ClfThreshold, "remove a component when its P(false positive) exceeds this (0 = the classifier file's, usually 0.5); lower keeps fewer false alarms, higher misses fewer anomalies")
	fs.StringVar(&c.Out, "out", c.Out, "output folder (default ./out/run-<timestamp>)")
	fs.StringVar(&c.Video, "video", c.Video, "annotated video file name in --out (.mp4, .avi, .mkv, .webm)")
	noVideo = fs.Bool("no-video", false, "write no annotated video")
	fs.StringVar(&c.Events, "events", c.Events, "events JSON-lines file in --out")
	fs.StringVar(&c.CSV, "csv", c.CSV, "per-frame summary CSV in --out (\"\" = none)")
	fs.BoolVar(&c.Stdout, "stdout", c.Stdout, "print events on stdout too")
	fs.IntVar(&c.Evidence, "evidence", c.Evidence, "save every Nth annotated frame (and emergency frames) as PNG in --out/frames")
	fs.StringVar(&c.Webhook, "webhook", c.Webhook, "POST each event as JSON to this URL")
	fs.StringVar(&c.WebRTC, "webrtc", c.WebRTC, "serve the live viewer at ADDR (--webrtc alone: "+stream.DefaultAddr+")")
	fs.Lookup("webrtc").NoOptDefVal = stream.DefaultAddr
	fs.StringVar(&c.Token, "token", c.Token, "bearer token the live viewer requires (page ?token=, /whep, /metrics)")
	fs.BoolVar(&c.Public, "public", c.Public, "allow a --webrtc address other machines can reach (e.g. 0.0.0.0:8080); set --token too")
	fs.IntVar(&c.Bitrate, "bitrate", c.Bitrate, "live viewer VP8 target bitrate per source, kbps")
	fs.IntVar(&c.MaxViewers, "max-viewers", c.MaxViewers, "live viewers at once, over all sources")
	fs.StringVar(&c.Metrics, "metrics", c.Metrics, "serve Prometheus /metrics at ADDR, e.g. 127.0.0.1:9090 (default off; --webrtc serves it too)")
	fs.StringVar(&c.Corridor, "corridor", c.Corridor, "drive corridor polygon \"x,y;x,y;…\" in fractions of the frame")
	fs.IntVar(&c.EmergArea, "emergency-area", c.EmergArea, "min anomaly area (source pixels) for an emergency")
	fs.IntVar(&c.EmergK, "emergency-k", c.EmergK, "emergency when present in k of the last n frames")
	fs.IntVar(&c.EmergN, "emergency-n", c.EmergN, "window n of the emergency rule")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug | info | warn | error")
	return cfgFile, noVideo, replay
}

// usageError is a command-line mistake: it prints as its cause alone and matches errUsage, so
// main adds the --help hint and exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string   { return e.err.Error() }
func (e usageError) Unwrap() []error { return []error{errUsage, e.err} }
func badUsage(err error) error       { return usageError{err} }

// parseRunFlags applies defaults, then --config, then the flags given, then validates.
func parseRunFlags(args []string, stderr io.Writer) (config.Run, error) {
	c := config.Default()
	pre := pflag.NewFlagSet("run", pflag.ContinueOnError)
	pre.SetOutput(io.Discard)
	cfgFile, _, _ := runFlags(&c, pre)
	pre.ParseErrorsAllowlist.UnknownFlags = true
	_ = pre.Parse(args) // only --config matters here; errors are reported by the real parse
	if *cfgFile != "" {
		var err error
		if c, err = config.Load(*cfgFile); err != nil {
			return c, err
		}
	}
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, runUsage)
		fs.PrintDefaults()
	}
	_, noVideo, replay := runFlags(&c, fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return c, err
		}
		return c, badUsage(err)
	}
	if fs.NArg() > 0 {
		return c, badUsage(fmt.Errorf("unexpected argument %q (sources go with --source)", fs.Arg(0)))
	}
	if *noVideo {
		c.Video = ""
	}
	if *replay {
		c.Realtime = false
	}
	liveDemo(&c, *replay, fs.Changed("stdout"))
	if !fs.Changed("roi") && c.ROI == "" && onlySynthetic(c.Sources) {
		c.ROI = config.SynthROI
	}
	if err := c.Validate(); err != nil {
		return c, badUsage(err)
	}
	return c, nil
}

// runUsage heads `metaood run --help`.
const runUsage = `Usage: metaood run [flags]

With no flags: a synthetic drive (300 frames) through the built-in tiny model and meta
classifier, replayed as fast as possible; outputs go to ./out/run-<timestamp>/.

With --webrtc and no --source (what 'make run' does): the synthetic drive instead runs in
real time (30 fps) and without end, so the live viewer keeps showing it; the viewer URL and
the output folder are printed first; events go to the events file and the viewer (--stdout
prints them too). Ctrl-C (or --frames N) ends the run and finalizes the video, events and
summary. Add --replay for the finite replay with the viewer on.

/metrics (--metrics ADDR, and the viewer's own /metrics with --webrtc) shows the whole run:
pipeline, inference, capture and stream.

Flags:
`

// liveSynth is the default source of a run with the live viewer: the default drive, endless.
const liveSynth = "synth:frames=0,size=1024x512"

// liveDemo turns the default finite replay into an endless real-time drive when the live
// viewer is on and the sources are the defaults (so someone watching does not see the stream
// end after a few seconds); an explicit --replay keeps the replay. Events then stay off stdout
// unless --stdout was given: they would bury the viewer's URL (they are in the events file and
// on the viewer).
func liveDemo(c *config.Run, replay, stdoutGiven bool) {
	if c.WebRTC == "" || replay || !slices.Equal(c.Sources, config.Default().Sources) {
		return
	}
	c.Sources = []string{liveSynth}
	c.Realtime = true
	if !stdoutGiven {
		c.Stdout = false
	}
}

func cmdRun(ctx context.Context, args []string) error {
	c, err := parseRunFlags(args, os.Stderr)
	if errors.Is(err, pflag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := newLogger(c.LogLevel, os.Stderr)
	sum, outs, err := runPipeline(ctx, c, log, os.Stdout, os.Stderr)
	if err != nil && outs.dir != "" {
		os.Remove(outs.dir) // only if still empty: a run that failed at set-up leaves no folder behind
	}
	printSummary(os.Stderr, c, sum, outs)
	if err == nil {
		err = runFailure(sum)
	}
	return err
}

// runFailure turns a run that finished but did not do its job into a non-zero exit, so rigs and
// scripts notice: an output that failed (its file is still closed, the rest kept), or sources
// that all failed before delivering a frame.
func runFailure(s pipeline.Summary) error {
	switch {
	case len(s.SinkErrors) > 0:
		return fmt.Errorf("%w: %s", errOutputFailed, strings.Join(s.SinkErrors, "; "))
	case s.Frames == 0 && len(s.SourceErrors) > 0:
		return fmt.Errorf("%w: %s", errNoFrames, strings.Join(s.SourceErrors, "; "))
	}
	return nil
}

var (
	errOutputFailed = errors.New("an output failed during the run (the others were kept)")
	errNoFrames     = errors.New("no frame was processed: every source failed")
)

// outputs is where a run wrote its results, for the summary.
type outputs struct {
	dir, events, csv string
	videos           []string
	evidence         int
	viewer           string
	early            []string // "source: why" for sources that ended early (truncated files)
}

// runPipeline sets everything up from c and runs it; stdout receives the events when c.Stdout,
// info the lines that tell the user where to look.
func runPipeline(ctx context.Context, c config.Run, log *slog.Logger, stdout, info io.Writer) (pipeline.Summary, outputs, error) {
	var outs outputs
	outs.dir = c.Out
	if outs.dir == "" {
		outs.dir = filepath.Join("out", "run-"+time.Now().Format("20060102-150405"))
	}
	if err := pipeline.CheckOutDir(outs.dir); err != nil { // before any work
		return pipeline.Summary{}, outs, err
	}
	tracker, err := c.Tracker()
	if err != nil {
		return pipeline.Summary{}, outs, err
	}
	roi, err := c.RegionOfInterest()
	if err != nil {
		return pipeline.Summary{}, outs, err
	}
	tr, err := event.NewTracker(tracker)
	if err != nil {
		return pipeline.Summary{}, outs, err
	}
	metrics := pipeline.NewMetrics()
	states := pipeline.NewStates()
	capOpts := capture.Options{Realtime: c.Realtime, Registry: metrics.Registry, OnState: states.Report}
	srcs, err := capture.OpenAll(c.Sources, capOpts, log) // cheap checks (missing file) before loading the model
	if err != nil {
		return pipeline.Summary{}, outs, err
	}

	seg, eng, err := openEngine(c, metrics, log)
	if err != nil {
		return pipeline.Summary{}, outs, err
	}
	defer eng.Close()
	clf, err := loadClassifier(c.Classifier, eng.Classes(), c.ClfThreshold)
	if err != nil {
		return pipeline.Summary{}, outs, err
	}
	psrcs := make([]pipeline.Source, len(srcs))
	for i, s := range srcs {
		psrcs[i] = s
	}

	// Outputs: files first (they can fail), then the servers.
	var sinks []pipeline.Sink
	closeAll := func() {
		for _, s := range sinks {
			s.Close()
		}
	}
	outs.events = pipeline.OutPath(outs.dir, c.Events)
	js, err := pipeline.CreateJSONL(outs.events)
	if err != nil {
		return pipeline.Summary{}, outs, err
	}
	sinks = append(sinks, js)
	if c.CSV != "" {
		outs.csv = pipeline.OutPath(outs.dir, c.CSV)
		cs, err := pipeline.CreateCSV(outs.csv)
		if err != nil {
			closeAll()
			return pipeline.Summary{}, outs, err
		}
		sinks = append(sinks, cs)
	}
	if c.Stdout {
		// stdout is a live edge: a reader that stops reading loses lines, it does not stall the run.
		lw := pipeline.NewLiveWriter(stdout, 1024)
		sinks = append(sinks, pipeline.NewJSONLSink("stdout", lw, lw))
	}
	if c.Webhook != "" {
		sinks = append(sinks, pipeline.NewWebhookSink(c.Webhook, 256, 2*time.Second, log))
	}
	ropts := render.SinkOptions{Dir: outs.dir, Video: c.Video, FPS: videoFPS(srcs), Multi: len(srcs) > 1,
		Corridor: tracker.Corridor, EvidenceEvery: c.Evidence, Log: log}

	runCtx, stopServers := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServers()
	var served []chan struct{}
	defer func() {
		stopServers()
		for _, d := range served {
			<-d
		}
	}()
	var srv *stream.Server
	if c.WebRTC != "" {
		scfg := stream.Config{Addr: c.WebRTC, Token: c.Token, BitrateKbps: c.Bitrate, MaxViewers: c.MaxViewers,
			AllowPublic: c.Public, Metrics: metrics.Registry} // one /metrics: the whole run's registry
		if f := videoFPS(srcs); f >= 1 && f <= 120 {
			scfg.FPS = int(f + 0.5)
		}
		srv, err = stream.New(scfg, log)
		if err != nil {
			closeAll()
			return pipeline.Summary{}, outs, err
		}
		if c.Public && c.Token == "" {
			log.Warn("--public without --token: anyone who can reach this address can watch the stream and read /metrics; set --token", "webrtc", c.WebRTC)
		}
		for _, col := range srv.Collectors() {
			metrics.Registry.MustRegister(col)
		}
		ropts.PublishFrame, ropts.PublishEvent = srv.PublishFrame, srv.PublishEvent
		outs.viewer = srv.URL()
	}
	rs := render.NewSink(ropts)
	sinks = append(sinks, rs)
	if f, ok := info.(*os.File); ok && !c.Realtime && isatty(f) {
		sinks = append(sinks, pipeline.NewProgressSink(info, c.Frames))
	}
	if c.Metrics != "" {
		ln, err := net.Listen("tcp", c.Metrics)
		if err != nil {
			if srv != nil {
				srv.Close() // never served
			}
			closeAll()
			return pipeline.Summary{}, outs, fmt.Errorf("--metrics %s: %v (pick a free host:port)", c.Metrics, err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", metrics.Handler())
		hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		done := make(chan struct{})
		served = append(served, done)
		go func() { defer close(done); hs.Serve(ln) }()
		context.AfterFunc(runCtx, func() { hs.Close() })
		fmt.Fprintf(info, "metrics: http://%s/metrics\n", ln.Addr())
	}
	fmt.Fprintf(info, "metaood run: %s → %s (provider %s); outputs in %s\n", strings.Join(c.Sources, ", "),
		modelName(c.Model), eng.Provider(), outs.dir)
	if srv != nil { // served from here on, so that its log lines follow the URL
		printViewer(info, outs.viewer, outs.dir, slices.Equal(c.Sources, []string{liveSynth}) && c.Frames == 0)
		done := make(chan struct{})
		served = append(served, done)
		go func() {
			defer close(done)
			if err := srv.Run(runCtx); err != nil {
				log.Error("live viewer stopped", "err", err)
			}
		}()
	}

	sum, err := pipeline.Run(ctx, pipeline.Config{
		Sources: psrcs, Segmenter: seg, Analyzer: newAnalyzer(c.Threshold, !c.Probs, roi), Classifier: clf, Tracker: tr,
		Sinks: sinks, Batch: c.Batch, Workers: c.Workers, WorkerNice: c.WorkerNice, MaxFrames: c.Frames, Provider: eng.Provider(),
		Metrics: metrics, Log: log, States: states, Recycle: capture.Recycle,
	})
	outs.videos = rs.Videos()
	outs.evidence, _ = rs.Evidence()
	outs.early = sum.EarlyEnds
	return sum, outs, err
}

// printViewer shows the live viewer's URL and the output folder so that they stand out from
// the log lines and events that follow.
func printViewer(w io.Writer, url, dir string, endless bool) {
	end := "Ctrl-C ends the run"
	if endless {
		end = "the synthetic drive runs in real time until Ctrl-C"
	}
	fmt.Fprintf(w, "\n  ┌─ live viewer ─────────────────────────────────────────────\n")
	fmt.Fprintf(w, "  │  open  %s\n", url)
	fmt.Fprintf(w, "  │  outputs in %s (finalized at the end)\n", dir)
	fmt.Fprintf(w, "  │  %s\n", end)
	fmt.Fprintf(w, "  └───────────────────────────────────────────────────────────\n\n")
}

func modelName(path string) string {
	if path == "" {
		return "tiny model (built in)"
	}
	return path
}

// videoFPS is the output video's frame rate: the first source's, when it declares one.
func videoFPS(srcs []capture.Source) float64 {
	for _, s := range srcs {
		if f, ok := s.(interface{ FPS() float64 }); ok && f.FPS() > 0 {
			return f.FPS()
		}
	}
	return 25
}

// openEngine initializes ONNX Runtime and the model; the Segmenter adapts it to the pipeline.
func openEngine(c config.Run, m *pipeline.Metrics, log *slog.Logger) (pipeline.Segmenter, *infer.Engine, error) {
	if err := infer.Init(c.OrtLib); err != nil {
		return nil, nil, err
	}
	model, name := segmodel.Tiny(), "tiny.onnx (built in)"
	if c.Model != "" {
		var err error
		if model, err = infer.LoadModel(c.Model); err != nil {
			return nil, nil, err
		}
		name = c.Model
	}
	icfg := infer.Config{Model: model, ModelName: name, Preset: c.Preset, Classes: c.Classes, Probs: c.Probs,
		Batch: c.Batch, Provider: c.Provider, Device: c.Device, TRTCache: c.TRTCache, TRTFP16: c.TRTFP16,
		Threads: c.Threads, AllowFallback: c.AllowFallback}
	if c.Provider != infer.ProviderTensorRT && (c.TRTCache != "" || c.TRTFP16) {
		log.Warn("--trt-cache and --trt-fp16 apply to --provider tensorrt only; ignored", "provider", c.Provider)
	}
	if m != nil {
		icfg.Registry = m.Registry
	}
	if c.InputSize != "" {
		icfg.InputW, icfg.InputH, _ = config.ParseSize(c.InputSize)
	}
	eng, err := infer.New(icfg, log)
	if err != nil {
		return nil, nil, err
	}
	return engineSegmenter{eng}, eng, nil
}

// loadClassifier loads the meta classifier and checks its features against the metrics of
// `classes` classes.
func loadClassifier(path string, classes int, threshold float64) (pipeline.Classifier, error) {
	m := metaclf.Default()
	if path != "" {
		var err error
		if m, err = metaclf.Load(path); err != nil {
			return nil, err
		}
	} else {
		path = "the built-in classifier"
	}
	if err := m.Check(postproc.MetricNames(classes)); err != nil {
		return nil, fmt.Errorf("%s does not fit a %d-class model: %w (train one with 'metaood calib train' or pass --classes)", path, classes, err)
	}
	if threshold > 0 {
		return thresholdOverride{m, threshold}, nil
	}
	return m, nil
}

// thresholdOverride is a meta classifier with the decision threshold of --classifier-threshold.
type thresholdOverride struct {
	*metaclf.Model
	thr float64
}

func (t thresholdOverride) Threshold() float64 { return t.thr }

// engineSegmenter adapts infer.Engine to pipeline.Segmenter. A frame whose output is not finite
// becomes a per-frame error instead of failing the run.
type engineSegmenter struct{ e *infer.Engine }

func (s engineSegmenter) Segment(frames []*frame.Frame) ([]*pipeline.Map, error) {
	outs, err := s.e.Infer(frames)
	if err == nil {
		maps := make([]*pipeline.Map, len(outs))
		for i, o := range outs {
			maps[i] = toMap(o)
		}
		return maps, nil
	}
	if !perFrame(err) {
		return nil, err
	}
	maps := make([]*pipeline.Map, len(frames)) // find the bad frame(s): one by one
	for i, f := range frames {
		o, err := s.e.Infer(frames[i : i+1])
		switch {
		case err == nil:
			maps[i] = toMap(o[0])
		case perFrame(err):
			maps[i] = &pipeline.Map{Frame: f, Err: err}
		default:
			for _, m := range maps[:i] {
				if m.Release != nil {
					m.Release()
				}
			}
			return nil, err
		}
	}
	return maps, nil
}

func perFrame(err error) bool {
	return errors.Is(err, infer.ErrNonFinite) || errors.Is(err, infer.ErrFrame)
}

func toMap(o *infer.Output) *pipeline.Map {
	return &pipeline.Map{Frame: o.Frame, C: o.C, H: o.H, W: o.W, Data: o.Data, ScaleX: o.ScaleX, ScaleY: o.ScaleY, Release: o.Release}
}

// onlySynthetic reports whether every source is a synthetic drive, whose ego hood (labelled
// ignore in its ground truth) the default region of interest then leaves out.
func onlySynthetic(sources []string) bool {
	for _, s := range sources {
		if s != "synth" && !strings.HasPrefix(s, "synth:") && !strings.Contains(s, "=synth") {
			return false
		}
	}
	return len(sources) > 0
}

// ppAnalyzer adapts postproc.Processor to pipeline.Analyzer.
type ppAnalyzer struct {
	p      *postproc.Processor
	logits bool
	roi    *roiMasks // nil: the whole map
}

func newAnalyzer(threshold float64, logits bool, roi event.Corridor) ppAnalyzer {
	o := postproc.DefaultOptions()
	o.Threshold = float32(threshold)
	a := ppAnalyzer{p: postproc.New(o), logits: logits}
	if roi != nil {
		a.roi = &roiMasks{poly: roi}
	}
	return a
}

func (a ppAnalyzer) Analyze(m *pipeline.Map) (*pipeline.Analysis, error) {
	in := postproc.Input{C: m.C, H: m.H, W: m.W, Data: m.Data, Logits: a.logits}
	if a.roi != nil {
		in.Ignore = a.roi.mask(m.W, m.H)
	}
	r, err := a.p.Process(in)
	if err != nil {
		return nil, err
	}
	comps := make([]pipeline.Component, len(r.Components))
	for i, c := range r.Components {
		comps[i] = pipeline.Component{Area: c.Area, BBox: c.BBox, Centroid: c.Centroid}
	}
	return &pipeline.Analysis{H: r.H, W: r.W, Entropy: r.Entropy, Components: comps, Metrics: r.Metrics,
		NumMetrics: postproc.NumMetrics(r.C), Release: r.Release}, nil
}

// roiMasks rasterizes the region of interest once per map size: maps of one source keep
// their size, so this is a lookup per frame. Safe for the postproc workers' concurrent use.
type roiMasks struct {
	poly  event.Corridor
	mu    sync.Mutex
	masks map[[2]int][]bool
}

// mask returns the w×h ignore mask: true outside the polygon (pixel centres, in fractions).
func (r *roiMasks) mask(w, h int) []bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.masks[[2]int{w, h}]; ok {
		return m
	}
	m := make([]bool, w*h)
	for y := 0; y < h; y++ {
		fy := (float64(y) + 0.5) / float64(h)
		for x := 0; x < w; x++ {
			m[y*w+x] = !r.poly.Contains((float64(x)+0.5)/float64(w), fy)
		}
	}
	if r.masks == nil {
		r.masks = map[[2]int][]bool{}
	}
	r.masks[[2]int{w, h}] = m
	return m
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated by config
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func isatty(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func printSummary(w io.Writer, c config.Run, s pipeline.Summary, o outputs) {
	if s.Frames == 0 && s.Elapsed == 0 {
		return // failed before starting: the error says it all
	}
	emerg := "emergencies"
	if s.Emergencies == 1 {
		emerg = "emergency"
	}
	fmt.Fprintf(w, "\nmetaood run: %d frames in %.1f s (%.1f fps); %d anomalies kept, %d rejected by the meta classifier; %d %s\n",
		s.Frames, s.Elapsed.Seconds(), s.FPS, s.Kept, s.Rejected, s.Emergencies, emerg)
	if s.Dropped > 0 {
		fmt.Fprintf(w, "  dropped: %d frames (a live source ahead of the pipeline, or discarded at stop)\n", s.Dropped)
	}
	if s.FrameErrors > 0 {
		fmt.Fprintf(w, "  frames skipped after errors: %d (first: %s)\n", s.FrameErrors, strings.Join(s.FirstErrors, "; "))
	}
	for _, e := range s.SourceErrors {
		fmt.Fprintf(w, "  source failed: %s\n", e)
	}
	for _, e := range o.early {
		fmt.Fprintf(w, "  ended early: %s\n", e)
	}
	for _, e := range s.SinkErrors {
		fmt.Fprintf(w, "  output failed: %s\n", e)
	}
	fmt.Fprintf(w, "  events:  %s\n", o.events)
	for _, v := range o.videos {
		fmt.Fprintf(w, "  video:   %s\n", v)
	}
	if o.csv != "" {
		fmt.Fprintf(w, "  summary: %s\n", o.csv)
	}
	if o.evidence > 0 {
		fmt.Fprintf(w, "  frames:  %d PNG in %s\n", o.evidence, filepath.Join(o.dir, "frames"))
	}
}
