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

	"github.com/metaood/metaood/capture"
	"github.com/metaood/metaood/config"
	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/infer"
	"github.com/metaood/metaood/internal/sdnotify"
	"github.com/metaood/metaood/metaclf"
	"github.com/metaood/metaood/onnx"
	"github.com/metaood/metaood/onnx/pb"
	"github.com/metaood/metaood/pipeline"
	"github.com/metaood/metaood/postproc"
	"github.com/metaood/metaood/render"
	"github.com/metaood/metaood/segmodel"
	"github.com/metaood/metaood/stream"
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
	fs.StringVar(&c.InputSize, "input-size", c.InputSize, "WxH to run a dynamic-size model at (default: the map size the meta classifier was trained at, else the frame size)")
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
	fs.StringVar(&c.Classifier, "classifier", c.Classifier, "meta classifier JSON (default: NAME.metaclf.json beside --model NAME.onnx if it exists, else the built-in one, made for the built-in model)")
	fs.BoolVar(&c.Force, "force", c.Force, "use a meta classifier trained for another model or map size anyway (a warning instead of an error)")
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
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log lines on stderr: text (key=value) | json (one object a line)")
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
	log := newLoggerAs(c.LogLevel, c.LogFormat, os.Stderr)
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

	seg, eng, clf, err := setupModel(c, metrics, log)
	if err != nil {
		return pipeline.Summary{}, outs, err
	}
	defer eng.Close()
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

	sdnotify.Ready(log) // systemd (Type=notify): set up and serving; a no-op outside systemd
	sum, err := pipeline.Run(ctx, pipeline.Config{
		Sources: psrcs, Segmenter: seg, Analyzer: newAnalyzer(c.Threshold, !c.Probs, roi), Classifier: clf, Tracker: tr,
		Sinks: sinks, Batch: c.Batch, Workers: c.Workers, WorkerNice: c.WorkerNice, MaxFrames: c.Frames, Provider: eng.Provider(),
		Metrics: metrics, Log: log, States: states, Recycle: capture.Recycle,
	})
	outs.videos = rs.Videos()
	outs.evidence, _ = rs.Evidence()
	outs.early = sum.EarlyEnds
	return sum, outs, fitCause(err)
}

// fitCause returns the *fitError inside err when there is one (a run stopped at the first map of a
// size the classifier was not trained at: its message alone says it all), else err.
func fitCause(err error) error {
	var fe *fitError
	if errors.As(err, &fe) {
		return fe
	}
	return err
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
// (setupModel does this and checks the meta classifier against the model.)
func openEngine(c config.Run, m *pipeline.Metrics, log *slog.Logger) (pipeline.Segmenter, *infer.Engine, error) {
	sm, err := loadSegModel(c.Model)
	if err != nil {
		return nil, nil, err
	}
	return openEngineWith(c, sm, m, log)
}

// openEngineWith is openEngine on model bytes already loaded.
func openEngineWith(c config.Run, sm segModelFile, m *pipeline.Metrics, log *slog.Logger) (pipeline.Segmenter, *infer.Engine, error) {
	if err := infer.Init(c.OrtLib); err != nil {
		return nil, nil, err
	}
	icfg := infer.Config{Model: sm.data, ModelName: sm.engineName(), Preset: c.Preset, Classes: c.Classes, Probs: c.Probs,
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
// `classes` classes. (It does not check the model and map size it was trained for: setupModel does.)
func loadClassifier(path string, classes int, threshold float64) (pipeline.Classifier, error) {
	m := metaclf.Default()
	if path != "" {
		var err error
		if m, err = metaclf.Load(path); err != nil {
			return nil, err
		}
	} else {
		path = builtinClassifier
	}
	return classifierFor(m, path, classes, threshold)
}

// classifierFor checks m's features against the metrics of `classes` classes and applies
// --classifier-threshold; name is the classifier as messages show it.
func classifierFor(m *metaclf.Model, name string, classes int, threshold float64) (pipeline.Classifier, error) {
	if err := m.Check(postproc.MetricNames(classes)); err != nil {
		return nil, fmt.Errorf("%s does not fit a %d-class model: %w (train one with 'metaood calib train' or pass --classes)", name, classes, err)
	}
	if threshold > 0 {
		return thresholdOverride{m, threshold}, nil
	}
	return m, nil
}

// builtinClassifier names metaclf.Default in messages.
const builtinClassifier = "the built-in classifier"

// segModelFile is the segmentation model a run uses: its bytes and their sha256.
type segModelFile struct {
	path string // "" = the built-in tiny model
	data []byte
	sha  string // metaclf.ModelHash(data)
}

// loadSegModel reads the model (path "" = the built-in tiny model) and hashes it.
func loadSegModel(path string) (segModelFile, error) {
	sm := segModelFile{path: path, data: segmodel.Tiny()}
	if path != "" {
		var err error
		if sm.data, err = infer.LoadModel(path); err != nil {
			return sm, err
		}
	}
	sm.sha = metaclf.ModelHash(sm.data)
	return sm, nil
}

// name is the model as the classifier checks' messages show it.
func (sm segModelFile) name() string {
	if sm.path == "" {
		return "the built-in tiny model"
	}
	return sm.path
}

// engineName is the model as infer's messages show it.
func (sm segModelFile) engineName() string {
	if sm.path == "" {
		return "tiny.onnx (built in)"
	}
	return sm.path
}

// classifierBeside returns where a classifier for model NAME.onnx is looked for when --classifier
// is not given: NAME.metaclf.json in the model's folder.
func classifierBeside(model string) string {
	return strings.TrimSuffix(model, filepath.Ext(model)) + ".metaclf.json"
}

// chooseClassifier loads the meta classifier of a run: --classifier (or the config's classifier);
// else, with --model NAME.onnx, NAME.metaclf.json beside it when that file exists; else the built-in
// one. It returns the classifier and its name for messages (the file, or builtinClassifier).
func chooseClassifier(c config.Run, log *slog.Logger) (*metaclf.Model, string, error) {
	path := c.Classifier
	if path == "" && c.Model != "" {
		p := classifierBeside(c.Model)
		if _, err := os.Stat(p); err == nil {
			path = p
			log.Info("using the meta classifier found beside the model (--classifier overrides)", "classifier", p, "model", c.Model)
		} else {
			log.Debug("no meta classifier beside the model; the built-in one is checked against it", "looked_for", p)
		}
	}
	if path == "" {
		return metaclf.Default(), builtinClassifier, nil
	}
	m, err := metaclf.Load(path)
	return m, path, err
}

// fitError is a meta classifier that does not fit the model in use: the run refuses to start (or
// stops at the first map whose size shows it), unless --force.
type fitError struct{ msg string }

func (e *fitError) Error() string { return e.msg }
func (e *fitError) Unwrap() error { return errClassifierFit }

var errClassifierFit = errors.New("the meta classifier does not fit the segmentation model")

// clfFit checks a meta classifier against the model in use and the maps it produces. A mismatch is
// a *fitError, or with force a warning; a classifier that records nothing gets a warning.
type clfFit struct {
	clf     *metaclf.Model
	clfName string // the file, or builtinClassifier
	model   segModelFile
	force   bool
	log     *slog.Logger
}

const fitFix = "train one for this model with 'metaood calib dataset' and 'metaood calib train'"

// checkModel compares the sha256 the classifier records with the model's.
func (f clfFit) checkModel() error {
	err := f.clf.CheckModel(f.model.sha)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, metaclf.ErrNotRecorded):
		f.log.Warn("the meta classifier records no segmentation model (model_sha256), so it is not known to fit this one; "+fitFix,
			"classifier", f.clfName, "model", f.model.name(), "model_sha256", f.model.sha)
		return nil
	}
	trainedFor := "the model with sha256 " + f.clf.ModelSHA256()
	if f.clf.ModelSHA256() == metaclf.ModelHash(segmodel.Tiny()) {
		trainedFor = "the built-in tiny model (sha256 " + f.clf.ModelSHA256() + ")"
	}
	fix := fitFix
	if f.model.path != "" {
		fix += " (saved as " + classifierBeside(f.model.path) + " it is picked up without --classifier)"
	}
	return f.mismatch(fmt.Sprintf("%s was trained for %s, not for %s (sha256 %s)", f.clfName, trainedFor, f.model.name(), f.model.sha), fix)
}

// checkMapSize compares the map size the classifier records with w×h, the size of the model's maps;
// how says where that size comes from (e.g. "at --input-size 512x256"), for the message.
func (f clfFit) checkMapSize(w, h int, how string) error {
	err := f.clf.CheckMapSize(w, h)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, metaclf.ErrNotRecorded):
		if f.clf.ModelSHA256() != "" { // else checkModel has warned already
			f.log.Warn("the meta classifier records no map size (map_size), so it is not known to fit maps of this size",
				"classifier", f.clfName, "map_size", fmt.Sprintf("%dx%d", w, h))
		}
		return nil
	}
	cw, ch := f.clf.MapSize()
	return f.mismatch(fmt.Sprintf("%s was trained on %dx%d class maps, but %s produces %dx%d maps%s", f.clfName, cw, ch, f.model.name(), w, h, how),
		fitFix+" at this size")
}

// mismatch is the error, or with --force the warning, for a classifier that does not fit.
func (f clfFit) mismatch(what, fix string) error {
	if f.force {
		f.log.Warn("--force: using a meta classifier that does not fit: "+what+"; its P(false positive) may be meaningless", "classifier", f.clfName)
		return nil
	}
	return &fitError{fmt.Sprintf("%v: %s; %s, or pass --force to use it anyway", errClassifierFit, what, fix)}
}

// mapPlan is what the model file says about the size of its class maps before any frame runs.
type mapPlan struct {
	w, h         int  // the map size when known (a fixed output, or an output that follows a known input size)
	followsInput bool // output H and W are the input's (same dimension names): the map has the input size
	dynamicInput bool // the input H and W are not fixed
	parsed       bool // the bytes parse as an ONNX model
}

// planMapSize reads the model's graph input and output shapes (the output infer uses: "logits" or
// "probs", else the first); inW×inH is --input-size (0 = none). A model that does not parse gives
// an empty plan (parsed false): the engine then reports what is wrong with it.
func planMapSize(model []byte, inW, inH int) mapPlan {
	m, err := onnx.Load(model)
	if err != nil {
		return mapPlan{}
	}
	p := mapPlan{parsed: true}
	g := m.Proto.GetGraph()
	ins := m.Inputs()
	var in, out *pb.ValueInfoProto
	for _, v := range g.GetInput() {
		if len(ins) > 0 && v.GetName() == ins[0] {
			in = v
		}
	}
	if outs := g.GetOutput(); len(outs) > 0 {
		out = outs[0]
		for _, v := range outs { // several outputs: infer prefers the contract's name
			if v.GetName() == "logits" || v.GetName() == "probs" {
				out = v
				break
			}
		}
	}
	id, od := in.GetType().GetTensorType().GetShape().GetDim(), out.GetType().GetTensorType().GetShape().GetDim()
	if len(id) != 4 || len(od) != 4 {
		return p
	}
	p.dynamicInput = id[2].GetDimValue() <= 0 || id[3].GetDimValue() <= 0
	if ow, oh := od[3].GetDimValue(), od[2].GetDimValue(); ow > 0 && oh > 0 {
		p.w, p.h = int(ow), int(oh)
		return p
	}
	same := func(a, b *pb.TensorShapeProto_Dimension) bool {
		return (a.GetDimValue() > 0 && a.GetDimValue() == b.GetDimValue()) || (a.GetDimParam() != "" && a.GetDimParam() == b.GetDimParam())
	}
	p.followsInput = same(id[2], od[2]) && same(id[3], od[3])
	switch {
	case !p.followsInput:
	case !p.dynamicInput:
		p.w, p.h = int(id[3].GetDimValue()), int(id[2].GetDimValue())
	case inW > 0:
		p.w, p.h = inW, inH
	}
	return p
}

// setupModel loads the segmentation model and the meta classifier (chooseClassifier), checks that
// the classifier was trained for this model (sha256 of its bytes) and map size, then opens the
// engine. The checks run before ONNX Runtime loads the model wherever the model file tells the map
// size: a fixed output size, or an output that has the input's size (then a dynamic-size model runs
// at the classifier's map size unless --input-size says otherwise). Otherwise the map size is
// checked on every map as frames flow, and the first mismatch stops the run.
func setupModel(c config.Run, m *pipeline.Metrics, log *slog.Logger) (pipeline.Segmenter, *infer.Engine, pipeline.Classifier, error) {
	sm, err := loadSegModel(c.Model)
	if err != nil {
		return nil, nil, nil, err
	}
	clf, clfName, err := chooseClassifier(c, log)
	if err != nil {
		return nil, nil, nil, err
	}
	var inW, inH int
	if c.InputSize != "" {
		inW, inH, _ = config.ParseSize(c.InputSize) // validated
	}
	plan := planMapSize(sm.data, inW, inH)
	if !plan.parsed {
		// Not an ONNX model as far as Go can read: let ONNX Runtime say what is wrong with the file
		// rather than blame the classifier for not fitting it.
		_, eng, err := openEngineWith(c, sm, m, log)
		if err != nil {
			return nil, nil, nil, err
		}
		eng.Close() // ONNX Runtime reads it after all: go on, checking the map size as frames flow
	}
	fit := clfFit{clf: clf, clfName: clfName, model: sm, force: c.Force, log: log}
	if err := fit.checkModel(); err != nil {
		return nil, nil, nil, err
	}
	cw, ch := clf.MapSize()
	if plan.followsInput && plan.dynamicInput && inW == 0 && cw > 0 {
		// A model that runs at any size: run it at the size the classifier was trained at.
		c.InputSize = fmt.Sprintf("%dx%d", cw, ch)
		plan.w, plan.h = cw, ch
		log.Info("the model runs at any input size: running it at the meta classifier's map size (--input-size overrides)",
			"input_size", c.InputSize, "classifier", clfName)
	}
	switch {
	case plan.w > 0:
		how := " (its fixed output size)"
		if inW > 0 {
			how = fmt.Sprintf(" at --input-size %s (drop it to run at the classifier's size)", c.InputSize)
		}
		if err := fit.checkMapSize(plan.w, plan.h, how); err != nil {
			return nil, nil, nil, err
		}
	case cw == 0 && clf.ModelSHA256() != "": // (with no model recorded either, checkModel has warned)
		log.Warn("the meta classifier records no map size (map_size), so it is not known to fit the maps of this model, whose size follows the frames",
			"classifier", clfName)
	}
	seg, eng, err := openEngineWith(c, sm, m, log)
	if err != nil {
		return nil, nil, nil, err
	}
	pc, err := classifierFor(clf, clfName, eng.Classes(), c.ClfThreshold)
	if err != nil {
		eng.Close()
		return nil, nil, nil, err
	}
	if plan.w == 0 && cw > 0 {
		seg = &mapSizeGuard{Segmenter: seg, fit: fit}
	}
	return seg, eng, pc, nil
}

// mapSizeGuard checks the size of every map against the classifier's (a model whose map size the
// file does not tell): a mismatch fails the Segment call, which stops the run; with --force it
// is a warning, once per size.
type mapSizeGuard struct {
	pipeline.Segmenter
	fit    clfFit
	mu     sync.Mutex
	warned map[[2]int]bool
}

func (g *mapSizeGuard) Segment(frames []*frame.Frame) ([]*pipeline.Map, error) {
	maps, err := g.Segmenter.Segment(frames)
	if err != nil {
		return maps, err
	}
	cw, ch := g.fit.clf.MapSize()
	for _, m := range maps {
		if m.Err != nil || (m.W == cw && m.H == ch) {
			continue
		}
		g.mu.Lock()
		seen := g.warned[[2]int{m.W, m.H}]
		if g.warned == nil {
			g.warned = map[[2]int]bool{}
		}
		g.warned[[2]int{m.W, m.H}] = true
		g.mu.Unlock()
		if seen {
			continue
		}
		if ferr := g.fit.checkMapSize(m.W, m.H, fmt.Sprintf(" (frame %s/%d, %dx%d)", m.Frame.Source, m.Frame.Seq, m.Frame.W, m.Frame.H)); ferr != nil {
			for _, r := range maps {
				if r.Release != nil {
					r.Release()
				}
			}
			return nil, ferr
		}
	}
	return maps, nil
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
