package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
)

// supervise is the one supervisor of a source: it opens it, paces a Paced source, puts its
// frames into the edge, reopens a lost Device with backoff (with jitter, so that cameras lost
// together do not retry in lockstep) and emits the source's state events in order with its
// frames. A Replay or Paced source that fails is reported and ends; what it delivered is kept.
func (p *run) supervise(ctx context.Context, src frame.Source, s *slot) {
	defer p.edge.close(s)
	id, mode := src.ID(), src.Mode()
	log := p.log.With("stage", "source", "source", id)
	backoff := p.cfg.RetryBackoff
	opened, lost := false, false
	for {
		st, err := p.open(ctx, src, log)
		if ctx.Err() != nil {
			p.ended(s, "stopped")
			return
		}
		if err != nil {
			if mode != frame.Device || !opened {
				// A file that cannot be read again, or a device whose first open fails (a wrong
				// index or URL is reported rather than retried for ever).
				p.failed(s, log, err)
				return
			}
			if !lost {
				lost = true
				p.sourceEvent(s, event.StateLost, fmt.Sprintf("%v; retrying with backoff", err))
			} else {
				log.Debug("reopen failed", "err", err, "next_try", backoff)
			}
			if !sleep(ctx, jitter(backoff)) {
				p.ended(s, "stopped")
				return
			}
			backoff = min(2*backoff, p.cfg.MaxBackoff)
			continue
		}
		if opened {
			p.m.reconnects.WithLabelValues(id).Inc()
			p.sourceEvent(s, event.StateReconnected, st.Describe())
		} else {
			p.sourceEvent(s, event.StateOpened, st.Describe())
		}
		opened, lost = true, false
		p.m.up.WithLabelValues(id).Set(1)
		n, err := p.pump(ctx, src, st, s, log)
		p.m.up.WithLabelValues(id).Set(0)
		var early *frame.EndedEarly
		switch {
		case ctx.Err() != nil:
			p.ended(s, "stopped")
			return
		case errors.Is(err, io.EOF) || err == nil:
			if mode != frame.Device { // a camera does not end by itself: treated as lost below
				p.ended(s, "end of stream")
				return
			}
			err = errors.New("stream ended")
		case errors.As(err, &early):
			log.Warn("source ended early; frames already read are kept", "why", early.Why)
			p.mu.Lock()
			p.sum.EarlyEnds = append(p.sum.EarlyEnds, id+": "+early.Why)
			p.mu.Unlock()
			p.ended(s, "ended early: "+early.Why)
			return
		case mode != frame.Device:
			p.failed(s, log, err)
			return
		}
		if n > 0 {
			backoff = p.cfg.RetryBackoff
		}
		lost = true
		log.Warn("live source lost; reopening", "err", err, "frames", n, "retry_in", backoff)
		p.sourceEvent(s, event.StateLost, fmt.Sprintf("%v after %d frames; reconnecting in %v", err, n, backoff))
		if !sleep(ctx, jitter(backoff)) {
			p.ended(s, "stopped")
			return
		}
		backoff = min(2*backoff, p.cfg.MaxBackoff)
	}
}

// failed reports a source that failed for good.
func (p *run) failed(s *slot, log *slog.Logger, err error) {
	log.Error("source failed; frames already read are kept", "err", err)
	p.addSourceError(fmt.Sprintf("%s: %v", s.id, err))
	p.sourceEvent(s, event.StateLost, err.Error())
}

func (p *run) ended(s *slot, detail string) { p.sourceEvent(s, event.StateEnded, detail) }

// open opens a stream, giving up when ctx ends and the open is still blocked after the grace
// period (a network open ignores ctx): it then finishes, and is closed, in the background.
func (p *run) open(ctx context.Context, src frame.Source, log *slog.Logger) (frame.Stream, error) {
	type result struct {
		st  frame.Stream
		err error
	}
	done := make(chan result, 1)
	var abandoned atomic.Bool
	go func() {
		st, err := src.Open()
		if abandoned.Load() && st != nil {
			st.Close()
			return
		}
		done <- result{st, err}
	}()
	select {
	case r := <-done:
		return r.st, r.err
	case <-ctx.Done():
	}
	t := time.NewTimer(p.cfg.BlockedGrace)
	defer t.Stop()
	select {
	case r := <-done:
		if r.st != nil {
			r.st.Close()
		}
	case <-t.C:
		abandoned.Store(true)
		select { // the open may have finished between the timer and the flag
		case r := <-done:
			if r.st != nil {
				r.st.Close()
			}
		default:
			log.Warn("open still blocked at shutdown; leaving it to finish in the background")
		}
	}
	return nil, ctx.Err()
}

// errStalled is a Device stream that delivered no frame for StallTimeout.
var errStalled = errors.New("stalled")

// pump reads st into the edge until the stream ends or fails, or ctx ends; it closes st and
// returns the frames read. Reads run in their own goroutine because a blocked read ignores ctx;
// a Device stream whose read blocks past StallTimeout is abandoned as stalled (the read finishes,
// and closes the stream, in the background).
func (p *run) pump(ctx context.Context, src frame.Source, st frame.Stream, s *slot, log *slog.Logger) (int, error) {
	var pace *pacer
	if src.Mode() == frame.Paced && src.FPS() > 0 {
		pace = newPacer(src.FPS())
	}
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	var stop atomic.Bool
	var lastFrame atomic.Int64 // unix nanoseconds of the last frame (or of the open)
	lastFrame.Store(time.Now().UnixNano())
	var count atomic.Int64 // frames put, for a stalled stream's report
	go func() {
		n := 0
		var err error
		for !stop.Load() && (pace == nil || pace.wait(ctx)) {
			var f *frame.Frame
			if f, err = st.Next(); err != nil {
				break
			}
			lastFrame.Store(time.Now().UnixNano())
			if stop.Load() || !p.edge.put(ctx, s, f) {
				p.recycle(f) // read while stopping: not a drop
				break
			}
			n++
			count.Add(1)
		}
		st.Close()
		done <- result{n, err}
	}()
	var stall <-chan time.Time
	if src.Mode() == frame.Device && p.cfg.StallTimeout > 0 {
		t := time.NewTicker(max(p.cfg.StallTimeout/4, time.Millisecond))
		defer t.Stop()
		stall = t.C
	}
	for {
		select {
		case r := <-done:
			return r.n, r.err
		case <-stall:
			if time.Since(time.Unix(0, lastFrame.Load())) < p.cfg.StallTimeout {
				continue
			}
			stop.Store(true)
			log.Warn("live source stalled: no frame; reopening (the blocked read finishes in the background)", "timeout", p.cfg.StallTimeout)
			return int(count.Load()), fmt.Errorf("%w: no frame for %v", errStalled, p.cfg.StallTimeout)
		case <-ctx.Done():
			stop.Store(true)
			t := time.NewTimer(p.cfg.BlockedGrace)
			defer t.Stop()
			select {
			case r := <-done:
				return r.n, ctx.Err()
			case <-t.C:
				log.Warn("read still blocked at shutdown; leaving it to finish in the background")
				return 0, ctx.Err()
			}
		}
	}
}

// sourceEvent queues a source state for the sink stage, to be emitted once the frames of the
// source now in the edge have been delivered.
func (p *run) sourceEvent(s *slot, state, detail string) {
	now := time.Now()
	e := &event.SourceState{Header: event.Header{Type: event.TypeSource, Source: s.id, CaptureTS: event.At(now), EmitTS: event.At(now)},
		State: state, Detail: detail}
	select {
	case p.ctrl <- ctrlMsg{e, p.edge.mark(s)}:
	case <-p.sinkDone:
	}
}

// ctrlMsg is a source event for the sink stage, to be emitted once `after` frames of its source
// have been delivered, so "ended" follows the source's last frame.
type ctrlMsg struct {
	e     *event.SourceState
	after uint64
}

// dropLive counts a frame replaced at the live edge.
func (p *run) dropLive(f *frame.Frame) {
	p.dropped.Add(1)
	p.m.dropped.WithLabelValues(f.Source, "live-edge").Inc()
	p.drops.Add(1)
	p.recycle(f)
}

// jitter spreads a backoff over ±20 %.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
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
	if d := time.Until(due); d > 0 {
		return sleep(ctx, d)
	}
	return ctx.Err() == nil
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
