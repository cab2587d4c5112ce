package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
)

// maxFirstErrors is how many per-frame error messages the summary keeps.
const maxFirstErrors = 5

// sinkStage feeds every result and event to the sinks in order, emits stats events, and closes the
// sinks when it ends (for any reason), so the video is finalized and the files flushed.
func (p *run) sinkStage(ctx context.Context, in <-chan *Result, queues map[string]func() int) (err error) {
	sinks := make([]Sink, len(p.cfg.Sinks))
	copy(sinks, p.cfg.Sinks)
	var held []ctrlMsg // source events waiting for their source's frames
	// "opened" and "reconnected" events released but not yet emitted: each waits for its source's
	// next frame, whose number it carries (a replay may start at any frame).
	starts := map[string]*event.SourceState{}
	lastSeq := map[string]uint64{} // a source event's frame: the last frame of its source delivered before it
	open := openEmergencies{}
	defer func() {
		close(p.sinkDone)
		p.drainCtrl(sinks, held, starts, lastSeq, open)
		p.clearOpen(sinks, lastSeq, open) // a hurried or failed run: no emergency is left without its clear
		for _, s := range sinks {
			if s == nil {
				continue
			}
			if cerr := s.Close(); cerr != nil {
				p.addSinkError(cerr)
				err = errors.Join(err, fmt.Errorf("%w: %w", ErrSink, cerr))
			}
		}
	}()
	var tick <-chan time.Time
	if p.cfg.StatsEvery > 0 {
		t := time.NewTicker(p.cfg.StatsEvery)
		defer t.Stop()
		tick = t.C
	}
	fpsStart, fpsCount, fps := time.Now(), 0, 0.0
	delivered := map[string]uint64{}
	release := func() {
		kept := held[:0]
		for _, c := range held {
			if delivered[c.e.Source] >= c.after {
				p.releaseSource(sinks, c.e, starts, lastSeq, open)
			} else {
				kept = append(kept, c)
			}
		}
		held = kept
	}
	for {
		select {
		case r, ok := <-in:
			if !ok {
				return nil
			}
			now := time.Now()
			fpsCount++
			if d := now.Sub(fpsStart); d >= time.Second {
				fps, fpsStart, fpsCount = float64(fpsCount)/d.Seconds(), now, 0
				p.m.fps.Set(fps)
			}
			r.FPS, r.Latency = fps, now.Sub(r.Frame.Captured)
			held = p.takeCtrl(held) // the source events sent before this frame was read come first
			release()
			if st := starts[r.Frame.Source]; st != nil {
				delete(starts, r.Frame.Source)
				st.Frame = r.Frame.Seq
				p.emit(sinks, st, open)
			}
			p.deliver(sinks, r, open)
			delivered[r.Frame.Source]++
			lastSeq[r.Frame.Source] = r.Frame.Seq
			release()
		case c := <-p.ctrl:
			held = append(held, c)
			release()
		case <-tick:
			for name, l := range queues {
				p.m.queue.WithLabelValues(name).Set(float64(l()))
			}
			p.emit(sinks, p.stats(fps), open)
		case <-ctx.Done():
			return nil
		}
	}
}

func (p *run) deliver(sinks []Sink, r *Result, open openEmergencies) {
	t0 := time.Now()
	for i, s := range sinks {
		if s == nil {
			continue
		}
		if err := s.Frame(r); err != nil {
			p.disable(sinks, i, err)
		}
	}
	for _, e := range r.Events {
		p.emit(sinks, e, open)
	}
	p.m.Observe(StageSink, time.Since(t0))
	p.m.Observe(StageTotal, time.Since(r.Frame.Captured))

	src := r.Frame.Source
	p.m.frames.WithLabelValues(src).Inc()
	p.mu.Lock()
	p.sum.Frames++
	p.sum.PerSource[src]++
	if r.Err != nil {
		p.sum.FrameErrors++
		if len(p.sum.FirstErrors) < maxFirstErrors {
			p.sum.FirstErrors = append(p.sum.FirstErrors, fmt.Sprintf("%s frame %d: %v", src, r.Frame.Seq, r.Err))
		}
	}
	kept := uint64(len(r.Anomalies) - r.Rejected)
	p.sum.Kept += kept
	p.sum.Rejected += uint64(r.Rejected)
	for _, e := range r.Events {
		if e.Head().Type == event.TypeEmergency {
			p.sum.Emergencies++
			p.m.emerg.WithLabelValues(src).Inc()
		}
	}
	p.mu.Unlock()
	if r.Err != nil {
		p.m.errors.WithLabelValues(StagePostproc).Inc()
		p.log.Warn("frame skipped", "stage", StagePostproc, "source", src, "frame", r.Frame.Seq, "err", r.Err)
	}
	p.m.anoms.WithLabelValues("kept").Add(float64(kept))
	p.m.anoms.WithLabelValues("rejected").Add(float64(r.Rejected))
	r.Analysis.Release() // nil-safe
	r.Analysis = nil
	p.recycle(r.Frame)
}

func (p *run) recycle(f *frame.Frame) {
	if p.cfg.Recycle != nil && f != nil {
		p.cfg.Recycle(f)
	}
}

// emit stamps the emit time, the version and id (in the order of the frames: replay ids are
// deterministic), marshals e once and hands it to every sink; open follows the emergencies.
func (p *run) emit(sinks []Sink, e event.Event, open openEmergencies) {
	e.Head().EmitTS = event.At(time.Now())
	p.ids.Stamp(e.Head())
	open.note(e)
	line, err := event.Marshal(e)
	if err != nil { // only a NaN can do this; keep going without the event
		p.log.Error("event not encodable", "type", e.Head().Type, "err", err)
		return
	}
	for i, s := range sinks {
		if s == nil {
			continue
		}
		if err := s.Event(e, line); err != nil {
			p.disable(sinks, i, err)
		}
	}
}

// disable turns a failing sink off (closing it) so one broken output does not stop the others.
func (p *run) disable(sinks []Sink, i int, err error) {
	p.log.Error("output failed; turned off", "err", err)
	p.addSinkError(err)
	if cerr := sinks[i].Close(); cerr != nil {
		p.log.Error("closing failed output", "err", cerr)
	}
	sinks[i] = nil
}

func (p *run) addSinkError(err error) {
	p.mu.Lock()
	p.sum.SinkErrors = append(p.sum.SinkErrors, err.Error())
	p.mu.Unlock()
}

// drainCtrl emits, when the sink stage ends, the source events still waiting: the starts, then
// those held or queued, at their source's last delivered frame.
func (p *run) drainCtrl(sinks []Sink, held []ctrlMsg, starts map[string]*event.SourceState, lastSeq map[string]uint64, open openEmergencies) {
	for _, src := range slices.Sorted(maps.Keys(starts)) {
		st := starts[src]
		st.Frame = lastSeq[src]
		p.emit(sinks, st, open)
	}
	clear(starts)
	for _, c := range p.takeCtrl(held) {
		p.releaseSource(sinks, c.e, starts, lastSeq, open)
	}
	for _, src := range slices.Sorted(maps.Keys(starts)) { // released just now: no frame to wait for
		starts[src].Frame = lastSeq[src]
		p.emit(sinks, starts[src], open)
	}
}

// takeCtrl appends the source events queued now to held.
func (p *run) takeCtrl(held []ctrlMsg) []ctrlMsg {
	for {
		select {
		case c := <-p.ctrl:
			held = append(held, c)
		default:
			return held
		}
	}
}

// releaseSource emits a source event whose source's earlier frames have all been delivered. A
// start waits in starts for its source's next frame; an end first emits the start still waiting
// (a stream without frames) and the clear of the source's emergency, so none stays open.
func (p *run) releaseSource(sinks []Sink, e *event.SourceState, starts map[string]*event.SourceState, lastSeq map[string]uint64, open openEmergencies) {
	if st := starts[e.Source]; st != nil {
		delete(starts, e.Source)
		st.Frame = lastSeq[e.Source]
		p.emit(sinks, st, open)
	}
	if e.State == event.StateOpened || e.State == event.StateReconnected {
		starts[e.Source] = e
		return
	}
	e.Frame = lastSeq[e.Source]
	if e.State == event.StateEnded || e.State == event.StateLost {
		p.tracks.End(e.Source)
		if tr := p.cfg.Tracker; tr != nil {
			if cl := tr.End(e.Header); cl != nil {
				p.emit(sinks, cl, open) // the emergency ends with its source
			}
		}
	}
	p.emit(sinks, e, open)
}

func (p *run) stats(fps float64) event.Event {
	now := time.Now()
	p.mu.Lock()
	frames, errs := p.sum.Frames, p.sum.FrameErrors
	p.mu.Unlock()
	return &event.Stats{
		Header: event.Header{Type: event.TypeStats, Source: event.SourceAll, Frame: frames, CaptureTS: event.At(now), EmitTS: event.At(now)},
		Stages: p.m.Quantiles(), FPS: fps, Frames: frames, Dropped: p.droppedTotal(), Errors: errs, Provider: p.cfg.Provider,
	}
}
