// Package app wires a run from its configuration: sources, model and meta classifier (checked
// to fit each other before any output is created), outputs, the live viewer and the metrics
// server, then runs the pipeline and finalizes what it wrote. cmd/metaood only parses flags
// and prints; bench and the tests use the same wiring.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/metaood/metaood/capture"
	"github.com/metaood/metaood/config"
	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/internal/promutil"
	"github.com/metaood/metaood/pipeline"
	"github.com/metaood/metaood/postproc"
	"github.com/metaood/metaood/record"
	"github.com/metaood/metaood/render"
	"github.com/metaood/metaood/stream"
)

// Outputs is where a run wrote its results and what it serves, for the summary.
type Outputs struct {
	Dir, Events, CSV string
	Videos           []string
	Evidence         int      // annotated frames saved as PNG in Dir/frames
	Clips, Snapshots int      // emergency clips (Dir/clips) and snapshots (Dir/snapshots) written
	Viewer           string   // the live viewer's URL with its token redacted ("" = none): for logs and files
	ViewerWithToken  string   // the same with the token: for the user's terminal only
	Metrics          string   // the --metrics server's address ("" = none)
	Provider         string   // the execution provider inference runs on
	Early            []string // "source: why" for sources that ended early (truncated files)
}

// Options are what a run needs besides its configuration.
type Options struct {
	Log *slog.Logger // nil: discard
	// Stdout receives the events when the configuration asks for them on stdout (a live edge:
	// a reader that stops reading loses lines, the run does not stall).
	Stdout io.Writer
	// Progress is where a progress bar goes (a terminal); nil: none.
	Progress io.Writer
	// Hurry, when closed, stops the run at once: frames in flight are dropped, the outputs are
	// still finalized (a second Ctrl-C). May be nil.
	Hurry <-chan struct{}
	// Ready is called once everything is set up and served, before the first frame: the
	// command prints where to look. May be nil.
	Ready func(Outputs)
	// Sinks are more outputs (the fleet's NATS events publisher), closed after the files like
	// the webhook; Run closes them however it ends. One that is a prometheus.Collector is served
	// on /metrics.
	Sinks []pipeline.Sink
}

// Run sets everything up from c (sources and model checked before any output is created),
// runs the pipeline until the sources end, c.Frames or ctx, and finalizes the outputs. The
// summary and outputs are valid also when an error is returned.
func Run(ctx context.Context, c config.Run, o Options) (pipeline.Summary, Outputs, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	extra := o.Sinks // closed here until the pipeline owns them
	defer func() {
		for _, s := range extra {
			s.Close()
		}
	}()
	var outs Outputs
	outs.Dir = c.Out
	if outs.Dir == "" {
		outs.Dir = filepath.Join("out", "run-"+time.Now().Format("20060102-150405"))
	}
	if err := pipeline.CheckOutDir(outs.Dir); err != nil { // before any work
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
	capOpts := capture.Options{Realtime: c.Realtime, Registry: metrics.Registry}
	srcs, err := capture.OpenAll(c.Sources, capOpts, log) // cheap checks (missing file) before loading the model
	if err != nil {
		return pipeline.Summary{}, outs, err
	}

	model, err := OpenModel(c, metrics, log)
	if err != nil {
		return pipeline.Summary{}, outs, err
	}
	defer model.Engine.Close()
	outs.Provider = model.Engine.Provider()

	// Outputs: files first (they can fail), then the servers.
	sinks, late, err := openSinks(c, &outs, o.Stdout, metrics, log)
	if err != nil {
		return pipeline.Summary{}, outs, err
	}
	late, extra = append(late, extra...), nil
	registerCollectors(metrics, late)
	closeAll := func() {
		for _, s := range append(sinks, late...) {
			s.Close()
		}
	}
	ropts := render.SinkOptions{Dir: outs.Dir, Video: c.Video, FPS: videoFPS(srcs), Multi: len(srcs) > 1,
		Corridor: tracker.Corridor, EvidenceEvery: c.Evidence, Log: log, Segment: c.Segment, RetainBytes: int64(c.RetainMB) << 20, Codec: c.VideoCodec,
		VideoBitrateKbps: c.VideoBitrate, RetainAge: c.RetainAge, ClipPre: c.ClipPre, ClipPost: c.ClipPost,
		ClipRetainBytes: int64(c.ClipRetainMB) << 20, ClipRetainAge: c.ClipRetainAge, Metrics: record.NewMetrics(metrics.Registry)}

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
			AllowPublic: c.Public, Metrics: metrics.Registry, // one /metrics: the whole run's registry
			UDPPort: c.UDPPort, PublicIPs: c.PublicIPs, ICEServers: c.ICEServers, AllowOrigins: c.AllowOrigins}
		if f := videoFPS(srcs); f >= 1 && f <= 120 {
			scfg.FPS = int(f + 0.5)
		}
		srv, err = stream.New(scfg, log)
		if err != nil {
			closeAll()
			return pipeline.Summary{}, outs, err
		}
		for _, col := range srv.Collectors() {
			metrics.Registry.MustRegister(col)
		}
		ropts.PublishFrame, ropts.PublishEvent = srv.PublishFrame, srv.PublishEvent
		outs.Viewer, outs.ViewerWithToken = srv.RedactedURL(), srv.URL()
	}
	rs := render.NewSink(ropts)
	sinks, late = append(append(sinks, rs), late...), nil
	if o.Progress != nil && !c.Realtime {
		sinks = append(sinks, pipeline.NewProgressSink(o.Progress, c.Frames))
	}
	if c.Metrics != "" {
		addr, done, err := serveMetrics(runCtx, c, metrics)
		if err != nil {
			if srv != nil {
				srv.Close() // never served
			}
			closeAll()
			return pipeline.Summary{}, outs, err
		}
		served = append(served, done)
		outs.Metrics = addr
	}
	if o.Ready != nil {
		o.Ready(outs)
	}
	if srv != nil { // served from here on, so that its log lines follow the URL
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
		Sources: srcs, Segmenter: model.Segmenter, Analyzer: NewAnalyzer(c, roi), Classifier: model.Classifier, Tracker: tr,
		Sinks: sinks, Batch: c.Batch, Workers: c.Workers, WorkerNice: c.WorkerNice, MaxFrames: c.Frames, Provider: outs.Provider, StallTimeout: c.StallTimeout, Hurry: o.Hurry,
		Metrics: metrics, Log: log, Recycle: capture.Recycle,
	})
	outs.Videos = rs.Videos()
	outs.Evidence, _ = rs.Evidence()
	clips, snaps := rs.Clips()
	outs.Clips, outs.Snapshots = len(clips), snaps
	outs.Early = sum.EarlyEnds
	return sum, outs, FitCause(err)
}

// openSinks creates the file outputs and the network ones, in the order the pipeline closes
// them, by value: events and CSV (sinks; the video joins them), then stdout, the webhook and
// MQTT (late), so a second Ctrl-C during their drain costs only network events. Each gets the
// event types its setting lists. On error the sinks already made are closed.
func openSinks(c config.Run, outs *Outputs, stdout io.Writer, metrics *pipeline.Metrics, log *slog.Logger) (sinks, late []pipeline.Sink, err error) {
	types, err := eventTypes(c)
	if err != nil {
		return nil, nil, err
	}
	var mq pipeline.Sink
	if c.MQTT != "" { // first: it opens no file, and its connections start with the first events
		if mq, err = openMQTT(c, types.mqtt, metrics, log); err != nil {
			return nil, nil, err
		}
		defer func() {
			if err != nil {
				mq.Close()
			}
		}()
	}
	outs.Events = pipeline.OutPath(outs.Dir, c.Events)
	js, err := pipeline.CreateJSONL(outs.Events)
	if err != nil {
		return nil, nil, err
	}
	sinks = append(sinks, filtered(js, types.file))
	if c.CSV != "" {
		outs.CSV = pipeline.OutPath(outs.Dir, c.CSV)
		cs, err := pipeline.CreateCSV(outs.CSV)
		if err != nil {
			js.Close()
			return nil, nil, err
		}
		sinks = append(sinks, cs)
	}
	if c.Stdout {
		// stdout is a live edge: a reader that stops reading loses lines, it does not stall the run.
		lw := pipeline.NewLiveWriter(stdout, 1024)
		late = append(late, filtered(pipeline.NewJSONLSink("stdout", lw, lw), types.stdout))
	}
	if c.Webhook != "" {
		late = append(late, filtered(pipeline.NewWebhookSink(c.Webhook, 256, 2*time.Second, log,
			pipeline.WithCounters(metrics.SinkCounters("webhook"))), types.webhook))
	}
	if mq != nil {
		late = append(late, mq)
	}
	return sinks, late, nil
}

// registerCollectors serves the sinks that are Prometheus collectors on the run's /metrics.
func registerCollectors(m *pipeline.Metrics, sinks []pipeline.Sink) {
	for _, s := range sinks {
		if c, ok := s.(prometheus.Collector); ok {
			promutil.Register(m.Registry, c)
		}
	}
}

// serveMetrics serves the run's registry at c.Metrics behind the viewer's token and Host checks
// until runCtx ends; done closes when the server has stopped.
func serveMetrics(runCtx context.Context, c config.Run, metrics *pipeline.Metrics) (addr string, done chan struct{}, err error) {
	ln, err := net.Listen("tcp", c.Metrics)
	if err != nil {
		return "", nil, fmt.Errorf("--metrics %s: %v (pick a free host:port)", c.Metrics, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", stream.Guard(metrics.Handler(), c.Token, c.Public)) // as the viewer's /metrics
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done = make(chan struct{})
	go func() { defer close(done); hs.Serve(ln) }()
	context.AfterFunc(runCtx, func() { hs.Close() })
	return ln.Addr().String(), done, nil
}

// FitCause returns the meta classifier's fit error inside err when there is one (a run stopped
// at the first map of a size the classifier was not trained at: its message alone says it all),
// else err.
func FitCause(err error) error {
	var fe *fitError
	if errors.As(err, &fe) {
		return fe
	}
	return err
}

// videoFPS is the output video's frame rate: the first source's, when it declares one.
func videoFPS(srcs []frame.Source) float64 {
	for _, s := range srcs {
		if f := s.FPS(); f > 0 {
			return f
		}
	}
	return 25
}

// NewAnalyzer is the postproc analyzer of a run: its entropy threshold, logits unless the model
// outputs probabilities, and the region of interest (nil: the whole map).
func NewAnalyzer(c config.Run, roi event.Corridor) *postproc.MapAnalyzer {
	o := postproc.DefaultOptions()
	o.Threshold = float32(c.Threshold)
	if roi == nil {
		return postproc.NewMapAnalyzer(o, !c.Probs, nil)
	}
	return postproc.NewMapAnalyzer(o, !c.Probs, roi)
}
