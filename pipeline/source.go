package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
)

// supervise runs one source until it ends, forwarding its frames to merged. A live source that
// fails is reopened with backoff; when the pipeline is behind, a live source keeps only its newest
// frame and counts the drop. A file source that fails (corrupt, truncated) is reported and ends.
func (p *run) supervise(ctx context.Context, src Source, merged chan<- *frame.Frame) {
	log := p.log.With("stage", "source", "source", src.ID())
	var sent uint64 // frames forwarded: a source event is emitted after that many frames of the source
	p.sourceEvent(ctx, src.ID(), event.StateOpened, "", sent)
	backoff := p.cfg.RetryBackoff
	for attempt := 0; ; attempt++ {
		got, err := p.runOnce(ctx, src, merged, attempt > 0, &sent)
		switch {
		case ctx.Err() != nil:
			p.sourceEvent(context.WithoutCancel(ctx), src.ID(), event.StateEnded, "stopped", sent)
			return
		case err == nil && (!src.Live() || !p.cfg.RetryLive):
			p.sourceEvent(ctx, src.ID(), event.StateEnded, p.endDetail(src, log), sent)
			return
		case !src.Live() || !p.cfg.RetryLive:
			log.Error("source failed; frames already read are kept", "err", err)
			p.addSourceError(fmt.Sprintf("%s: %v", src.ID(), err))
			p.sourceEvent(ctx, src.ID(), event.StateLost, err.Error(), sent)
			return
		}
		// Live: a clean end is treated like a loss too, a camera does not end by itself.
		detail := "stream ended"
		if err != nil {
			detail = err.Error()
		}
		if got > 0 {
			backoff = p.cfg.RetryBackoff
		}
		log.Warn("live source lost; retrying", "err", detail, "retry_in", backoff)
		p.sourceEvent(ctx, src.ID(), event.StateLost, detail, sent)
		select {
		case <-ctx.Done():
			p.sourceEvent(context.WithoutCancel(ctx), src.ID(), event.StateEnded, "stopped", sent)
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// endDetail says how a source's stream ended: "end of stream", or why it ended early (the
// reason also goes into the summary).
func (p *run) endDetail(src Source, log *slog.Logger) string {
	e, ok := src.(EarlyEnder)
	if !ok || e.EarlyEnd() == "" {
		return "end of stream"
	}
	why := e.EarlyEnd()
	log.Warn("source ended early; frames already read are kept", "why", why)
	p.mu.Lock()
	p.sum.EarlyEnds = append(p.sum.EarlyEnds, src.ID()+": "+why)
	p.mu.Unlock()
	return "ended early: " + why
}

// runOnce runs src.Run once and forwards its frames; it returns the number of frames forwarded.
func (p *run) runOnce(ctx context.Context, src Source, merged chan<- *frame.Frame, retry bool, sent *uint64) (int, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan *frame.Frame, 1)
	done := make(chan error, 1)
	go func() {
		err := src.Run(rctx, ch)
		close(ch) // we own ch: Run closes nothing
		done <- err
	}()
	n := 0
	var pending *frame.Frame
	live := src.Live()
	for {
		if pending == nil {
			f, ok := <-ch
			if !ok {
				break
			}
			if n == 0 && retry {
				p.sourceEvent(ctx, src.ID(), event.StateReconnected, "", *sent)
			}
			pending, n = f, n+1
			continue
		}
		if !live { // replay: block, never drop
			select {
			case merged <- pending:
				pending = nil
				*sent++
			case <-ctx.Done():
				cancel()
				for range ch { // let Run return
				}
				return n, <-done
			}
			continue
		}
		select {
		case merged <- pending:
			pending = nil
			*sent++
		case f, ok := <-ch:
			if !ok {
				select { // flush the last frame unless stopping
				case merged <- pending:
					*sent++
				case <-ctx.Done():
				}
				pending = nil
				return n, <-done
			}
			p.drop(src.ID(), "capture") // keep the newest frame
			p.recycle(pending)
			pending, n = f, n+1
		case <-ctx.Done():
			cancel()
			for range ch {
			}
			return n, <-done
		}
	}
	return n, <-done
}

// ctrlMsg is a source event for the sink stage, to be emitted once `after` frames of its source
// have been delivered, so "ended" follows the source's last frame.
type ctrlMsg struct {
	e     *event.SourceState
	after uint64
}

func (p *run) sourceEvent(ctx context.Context, src, state, detail string, after uint64) {
	now := time.Now()
	e := &event.SourceState{Header: event.Header{Type: event.TypeSource, Source: src, CaptureTS: event.At(now), EmitTS: event.At(now)}, State: state, Detail: detail}
	select {
	case p.ctrl <- ctrlMsg{e, after}:
	case <-ctx.Done():
	case <-p.sinkDone:
	}
}

func (p *run) drop(src, where string) {
	p.dropped.Add(1)
	p.m.dropped.WithLabelValues(src, where).Inc()
	if p.dropLog.Allow() {
		p.log.Warn("pipeline is too slow, discarding frames", "source", src, "dropped_total", p.dropped.Load())
	}
}

// everyN lets a log line through at most once per period; safe for concurrent use.
type everyN struct {
	period time.Duration
	mu     sync.Mutex
	last   time.Time
}

func (e *everyN) Allow() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	if now.Sub(e.last) < e.period {
		return false
	}
	e.last = now
	return true
}
