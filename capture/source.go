// Package capture turns video files, image folders and globs, cameras, network URLs,
// GStreamer pipelines and synthetic drives into frames (BGR24 in pooled Go buffers, stamped
// with source id, sequence number and capture time). cgo (gocv) stays inside: no gocv.Mat
// leaves this package.
//
// Live sources (cameras, URLs, GStreamer, and files/synth with Options.Realtime) hand frames
// over through a Latest one-slot queue: when the pipeline falls behind the newest frame wins
// and the drop is counted. Cameras, URLs and GStreamer pipelines are reopened with backoff
// when they fail.
package capture

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/metaood/metaood/frame"
)

// Source produces frames.
type Source interface {
	// ID is the source id stamped on its frames, stable for the run.
	ID() string
	// Live reports whether the source runs in real time and drops frames rather than block
	// when the pipeline is behind (cameras, URLs, GStreamer; files and synth with Realtime).
	Live() bool
	// Run sends frames to out until the end of the stream (nil), ctx is done (nil), or the
	// source fails for good (error). It closes nothing: several sources may share out.
	// Run may be called once.
	Run(ctx context.Context, out chan<- *frame.Frame) error
}

// EarlyEnder is implemented by every Source this package returns. After Run has returned,
// EarlyEnd says why the stream stopped before its declared end: for a truncated or corrupt
// video file "truncated or corrupt: video cut.mp4 ended after 7 of 221 frames (214
// unreadable)". It is "" when the source ended normally, was stopped, or cannot tell.
type EarlyEnder interface {
	EarlyEnd() string
}

// Open parses spec and prepares the source; files are checked (a missing or corrupt video is
// reported here), live sources are connected by Run. log may be nil.
//
// spec: "synth" or "synth:seed=3,frames=600,size=1024x512,fps=30,anomalies=1"; a video file;
// an image, a folder of images or a glob (sorted by name); "cam:0", "cam:/dev/video0" or
// "/dev/video0", optionally ",size=1280x720,fps=30"; an rtsp:// rtmp:// http(s):// tcp:// udp://
// srt:// URL (OpenCV's FFMPEG backend); "gst:<pipeline>". A prefix "id=" names the source.
func Open(spec string, opts Options, log *slog.Logger) (Source, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	sp, err := parseSpec(spec)
	if err != nil {
		return nil, err
	}
	if opts.ID != "" {
		sp.id = opts.ID
	}
	b := &base{id: sp.id, opts: opts, counters: newCounters(opts.Registry, sp.id)}
	b.log = logOrDiscard(log).With("stage", "capture", "source", sp.id)
	switch sp.kind {
	case kindSynth:
		return newSynthSource(b, sp)
	case kindVideo:
		return newVideoSource(b, sp)
	case kindImages:
		return newImageSource(b, sp)
	default:
		return newLiveSource(b, sp)
	}
}

// base is what every source shares: id, options, counters, sequence numbers, state reports.
type base struct {
	id   string
	live bool
	opts Options
	log  *slog.Logger
	*counters
	seq   atomic.Uint64
	early atomic.Pointer[string] // why the stream ended early (EarlyEnd)
}

func (b *base) ID() string { return b.id }

// EarlyEnd implements EarlyEnder.
func (b *base) EarlyEnd() string {
	if p := b.early.Load(); p != nil {
		return *p
	}
	return ""
}
func (b *base) Live() bool { return b.live }

// state reports a state change to the log and the callback.
func (b *base) state(st, detail string) {
	lvl := slog.LevelInfo
	if st == StateLost {
		lvl = slog.LevelWarn
	}
	b.log.Log(context.Background(), lvl, "source "+st, "detail", detail)
	if b.opts.OnState != nil {
		b.opts.OnState(b.id, st, detail)
	}
}

// newFrame stamps a pooled frame of w×h; the caller fills Pix.
func (b *base) newFrame(w, h int) *frame.Frame {
	b.frame()
	return &frame.Frame{Source: b.id, Seq: b.seq.Add(1) - 1, Captured: time.Now(), W: w, H: h, Pix: getBuf(3 * w * h)}
}

// limited reports whether Options.Limit frames were produced.
func (b *base) limited() bool {
	return b.opts.Limit > 0 && b.seq.Load() >= uint64(b.opts.Limit)
}

// emitter delivers frames: through a Latest queue and a forwarding goroutine for live
// sources, by a blocking send otherwise.
type emitter struct {
	b       *base
	out     chan<- *frame.Frame
	latest  *Latest
	fwdDone chan struct{}
	// drop summary, at most one log line a second
	lastLog time.Time
	pending int
}

func (b *base) startEmit(ctx context.Context, out chan<- *frame.Frame) *emitter {
	e := &emitter{b: b, out: out}
	if !b.live {
		return e
	}
	e.latest = NewLatest()
	e.latest.onDrop = b.drop
	e.fwdDone = make(chan struct{})
	go func() {
		defer close(e.fwdDone)
		for {
			f, err := e.latest.Get(ctx)
			if err != nil {
				return
			}
			select {
			case out <- f:
			case <-ctx.Done():
				e.discard(f)
				return
			}
		}
	}()
	return e
}

// emit hands f on; false when ctx ended first (f is then discarded).
func (e *emitter) emit(ctx context.Context, f *frame.Frame) bool {
	if ctx.Err() != nil {
		e.discard(f)
		return false
	}
	if e.latest == nil {
		select {
		case e.out <- f:
			return true
		case <-ctx.Done():
			e.discard(f)
			return false
		}
	}
	if e.latest.Put(f) {
		e.pending++
		if now := time.Now(); now.Sub(e.lastLog) >= dropLogPeriod {
			e.b.log.Warn("pipeline is too slow, discarding frames (newest frame wins)", "dropped", e.pending)
			e.lastLog, e.pending = now, 0
		}
	}
	return true
}

// dropLogPeriod spaces the drop warnings: a live source on a slow machine drops all the time,
// and a line a second would bury everything else (the count is also a metric).
const dropLogPeriod = 10 * time.Second

// discard counts a captured frame that will not be delivered (shutdown) as a drop.
func (e *emitter) discard(f *frame.Frame) {
	e.b.drop()
	Recycle(f)
}

// finish lets the forwarder deliver the last frame, then stops it; a frame still queued
// (the context ended first) counts as dropped.
func (e *emitter) finish() {
	if e.latest == nil {
		return
	}
	e.latest.Close()
	<-e.fwdDone
	if f := e.latest.take(); f != nil {
		e.discard(f)
	}
	if e.pending > 0 {
		e.b.log.Warn("pipeline is too slow, discarding frames (newest frame wins)", "dropped", e.pending)
	}
}

// pacer waits until frame n is due at the source's frame rate.
type pacer struct {
	start  time.Time
	period time.Duration
	n      int64
}

func newPacer(fps float64) *pacer {
	return &pacer{start: time.Now(), period: time.Duration(float64(time.Second) / fps)}
}

// wait sleeps until the next frame is due; false when ctx ended first.
func (p *pacer) wait(ctx context.Context) bool {
	due := p.start.Add(time.Duration(p.n) * p.period)
	p.n++
	d := time.Until(due)
	if d <= 0 {
		return ctx.Err() == nil
	}
	return sleep(ctx, d)
}

// sleep waits d; false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
