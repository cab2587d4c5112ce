package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/internal/counterdump"
	"github.com/metaood/metaood/metaclf"
)

// Config is everything a run needs. Sources, Segmenter and Analyzer are required.
type Config struct {
	Sources    []frame.Source
	Segmenter  Segmenter
	Analyzer   Analyzer
	Classifier metaclf.Decider // nil keeps every component
	Tracker    *event.Tracker  // nil raises no emergencies
	Sinks      []Sink
	Batch      int // max frames per inference call; default 1
	Workers    int // postproc workers; default GOMAXPROCS
	// WorkerNice, if > 0, runs the postproc workers at this nice value (1..19, Linux): inference
	// threads then preempt them, and postproc fills the cores' idle gaps instead of stretching
	// inference's parallel sections. 0 leaves the priority alone.
	WorkerNice int
	MaxFrames  int    // stop after this many frames; 0 = until the sources end
	Provider   string // execution provider, for metrics and stats
	Metrics    *Metrics
	Log        *slog.Logger
	// StopGrace is how long a graceful stop (ctx cancelled) may drain the stages before they are
	// cancelled too; default 10 s.
	StopGrace time.Duration
	// StatsEvery is the period of "stats" events; default 1 s, negative disables them.
	StatsEvery time.Duration
	// RetryBackoff is the first wait before a lost Device source is reopened (±20 % jitter),
	// doubling up to MaxBackoff; defaults 500 ms and 30 s.
	RetryBackoff, MaxBackoff time.Duration
	// BlockedGrace is how long a stop waits for a source's blocked open or read (a network
	// stream ignores cancellation) before leaving it to finish in the background; default 2 s.
	BlockedGrace time.Duration
	// Hurry, when closed, stops at once: sources and stages are cancelled without draining the
	// frames in flight; the sinks are still closed (the video finalized). May be nil.
	Hurry <-chan struct{}
	// StallTimeout declares a Device source lost when no frame has come for this long (a network
	// stream that hangs without closing), and reopens it; default 10 s, negative disables it.
	StallTimeout time.Duration
	// Recycle, if set, gets every frame the pipeline is done with (capture.Recycle pools buffers).
	Recycle func(*frame.Frame)
	// EveryFrame emits an "anomalies" event for every frame, not only those with kept anomalies.
	EveryFrame bool
}

// Summary is what a run did.
type Summary struct {
	Frames       uint64            // frames that reached the sinks
	PerSource    map[string]uint64 // frames per source
	FrameErrors  uint64            // per-frame errors (e.g. NaN logits)
	FirstErrors  []string          // the first few per-frame errors
	Dropped      uint64            // frames dropped at live edges
	Kept         uint64            // anomalies kept by the meta classifier
	Rejected     uint64            // components it removed
	Emergencies  uint64            // emergency events
	SourceErrors []string          // sources that failed (a file source then ends)
	EarlyEnds    []string          // "source: why" for sources whose stream ended early (frame.EndedEarly)
	SinkErrors   []string          // outputs that failed and were turned off
	Elapsed      time.Duration
	FPS          float64
}

// run is the state of one Run call.
type run struct {
	cfg      Config
	log      *slog.Logger
	m        *Metrics
	ctrl     chan ctrlMsg // source events to the sink stage
	sinkDone chan struct{}
	edge     *edge
	dropped  atomic.Uint64
	drops    *counterdump.Dumper // the drop warnings
	inflight chan struct{}       // tokens for frames between inference and reorder
	ids      *event.IDs          // stamps every event with the schema version and an id
	tracks   *event.Tracks       // track ids of kept anomalies

	mu  sync.Mutex
	sum Summary
}

// Run processes the sources until they end, MaxFrames is reached, ctx is cancelled (graceful stop:
// capture stops, frames in flight are finished, outputs are finalized) or a fatal error occurs.
// Sinks are always closed. The summary is valid also when an error is returned.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	if err := cfg.check(); err != nil {
		for _, s := range cfg.Sinks { // the contract: sinks are always closed
			s.Close()
		}
		return Summary{}, err
	}
	p := &run{cfg: cfg, log: cfg.Log, m: cfg.Metrics, ctrl: make(chan ctrlMsg, 16), sinkDone: make(chan struct{}),
		inflight: make(chan struct{}, 2*cfg.Workers+4)}
	p.edge = newEdge(p.dropLive)
	p.ids, p.tracks = newIDs(cfg.Sources), event.NewTracks()
	if cfg.Tracker != nil {
		cfg.Tracker.SetIDs(p.ids) // so its clears name their emergencies by the ids the sinks see
	}
	p.drops = &counterdump.Dumper{Period: 10 * time.Second, Report: func(delta, total uint64) {
		p.log.Warn("pipeline is too slow for a live source: frames replaced by newer ones before inference", "dropped", delta, "dropped_total", total)
	}}
	defer p.drops.Flush()
	p.sum.PerSource = map[string]uint64{}
	if cfg.Provider != "" {
		p.m.SetProvider(cfg.Provider)
	}
	start := time.Now()

	// Stages run on their own context: a cancelled ctx only stops capture, and the close cascades.
	// After StopGrace the stages are cancelled too.
	stageCtx, hardStop := context.WithCancel(context.WithoutCancel(ctx))
	defer hardStop()
	g, gctx := errgroup.WithContext(stageCtx)
	srcCtx, stopSources := context.WithCancel(gctx)
	defer stopSources()
	stopWatch := context.AfterFunc(ctx, func() {
		stopSources()
		t := time.AfterFunc(cfg.StopGrace, hardStop)
		context.AfterFunc(stageCtx, func() { t.Stop() })
	})
	defer stopWatch()
	if cfg.Hurry != nil {
		go func() {
			select {
			case <-cfg.Hurry:
				stopSources()
				hardStop()
			case <-stageCtx.Done():
			}
		}()
	}

	maps := make(chan job, 2)
	analysed := make(chan *Result, 2)
	ordered := make(chan *Result, 2)
	decided := make(chan *Result, 2)

	var srcWG sync.WaitGroup
	for _, s := range cfg.Sources {
		sl := p.edge.add(s.ID(), s.Mode().Live(), max(2, cfg.Batch))
		srcWG.Go(func() { p.supervise(srcCtx, s, sl) })
	}

	g.Go(func() error { return p.inferStage(gctx, maps, stopSources) })
	g.Go(func() error { return p.postprocStage(gctx, maps, analysed) })
	g.Go(func() error { return reorder(gctx, analysed, ordered, func() { <-p.inflight }) })
	g.Go(func() error { return p.decideStage(gctx, ordered, decided) })
	queues := map[string]func() int{
		StageInfer: p.edge.queued, StagePostproc: func() int { return len(maps) },
		"reorder": func() int { return len(analysed) }, StageMetaclf: func() int { return len(ordered) },
		StageSink: func() int { return len(decided) },
	}
	g.Go(func() error { return p.sinkStage(gctx, decided, queues) })
	err := g.Wait()
	stopSources()
	srcWG.Wait()

	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.sum
	s.Dropped = p.droppedTotal()
	s.Elapsed = time.Since(start)
	if s.Elapsed > 0 {
		s.FPS = float64(s.Frames) / s.Elapsed.Seconds()
	}
	return s, err
}

func (c *Config) check() error {
	if len(c.Sources) == 0 {
		return fmt.Errorf("%w: no source", ErrConfig)
	}
	if c.Segmenter == nil || c.Analyzer == nil {
		return fmt.Errorf("%w: a segmenter and an analyzer are required", ErrConfig)
	}
	seen := map[string]bool{}
	for _, s := range c.Sources {
		if seen[s.ID()] {
			return fmt.Errorf("%w: two sources have the id %q; give them distinct ids", ErrConfig, s.ID())
		}
		seen[s.ID()] = true
	}
	if c.Batch <= 0 {
		c.Batch = 1
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.WorkerNice < 0 || c.WorkerNice > 19 {
		return fmt.Errorf("%w: worker nice %d is outside 0..19", ErrConfig, c.WorkerNice)
	}
	if c.MaxFrames < 0 {
		return fmt.Errorf("%w: frame limit %d is negative", ErrConfig, c.MaxFrames)
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics()
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.StopGrace <= 0 {
		c.StopGrace = 10 * time.Second
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = 500 * time.Millisecond
	}
	if c.MaxBackoff < c.RetryBackoff {
		c.MaxBackoff = max(30*time.Second, c.RetryBackoff)
	}
	if c.BlockedGrace <= 0 {
		c.BlockedGrace = 2 * time.Second
	}
	if c.StallTimeout == 0 {
		c.StallTimeout = 10 * time.Second
	}
	if c.StatsEvery == 0 {
		c.StatsEvery = time.Second
	}
	return nil
}

// droppedTotal is the frames dropped at the live edge.
func (p *run) droppedTotal() uint64 { return p.dropped.Load() }

func (p *run) addSourceError(s string) {
	p.mu.Lock()
	p.sum.SourceErrors = append(p.sum.SourceErrors, s)
	p.mu.Unlock()
}

// send delivers v unless ctx ends first.
func send[T any](ctx context.Context, ch chan<- T, v T) bool {
	select {
	case ch <- v:
		return true
	case <-ctx.Done():
		return false
	}
}
