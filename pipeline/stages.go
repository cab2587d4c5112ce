package pipeline

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/postproc"
)

// job is a map with its position in the pipeline's input order.
type job struct {
	idx uint64
	m   *frame.Map
}

// inferStage batches what waits at the edge (never waiting for a full batch), runs the segmenter and stamps
// each map with its input index. After MaxFrames it stops the sources and discards the rest.
func (p *run) inferStage(ctx context.Context, out chan<- job, stopSources func()) error {
	defer close(out)
	var idx uint64
	buf := make([]*frame.Frame, 0, p.cfg.Batch)
	for {
		batch := p.edge.take(ctx, p.cfg.Batch, buf)
		if batch == nil {
			return nil
		}
		limit := false
		if max := uint64(p.cfg.MaxFrames); max > 0 && idx+uint64(len(batch)) >= max {
			batch, limit = batch[:max-idx], true
			stopSources()
		}
		t0 := time.Now()
		for _, f := range batch {
			p.m.Observe(StageCapture, t0.Sub(f.Captured))
		}
		maps, err := p.cfg.Segmenter.Segment(batch)
		if err != nil {
			return fmt.Errorf("%w: frame %s/%d: %w", ErrSegment, batch[0].Source, batch[0].Seq, err)
		}
		if len(maps) != len(batch) {
			return fmt.Errorf("%w: %d maps for %d frames", ErrSegment, len(maps), len(batch))
		}
		p.m.Observe(StageInfer, time.Since(t0))
		for _, m := range maps {
			select { // bounds the frames between here and reorder (see reorder)
			case p.inflight <- struct{}{}:
			case <-ctx.Done():
				return nil
			}
			if !send(ctx, out, job{idx, m}) {
				return nil
			}
			idx++
		}
		if limit {
			for rest := p.edge.take(ctx, p.cfg.Batch, buf); rest != nil; rest = p.edge.take(ctx, p.cfg.Batch, buf) {
				for _, f := range rest {
					p.recycle(f)
				}
			}
			return nil
		}
	}
}

// postprocStage runs Workers analyzers in parallel; output order is restored by reorder.
func (p *run) postprocStage(ctx context.Context, in <-chan job, out chan<- *Result) error {
	defer close(out)
	var wg sync.WaitGroup
	for range p.cfg.Workers {
		wg.Go(func() {
			if n := p.cfg.WorkerNice; n > 0 {
				if err := lowerPriority(n); err != nil { // the run goes on at normal priority
					p.log.Warn("postproc worker priority not lowered", "nice", n, "err", err)
				}
			}
			for {
				var j job
				var ok bool
				select {
				case j, ok = <-in:
					if !ok {
						return
					}
				case <-ctx.Done():
					return
				}
				a, err := (*postproc.Result)(nil), j.m.Err
				if err == nil {
					t0 := time.Now()
					a, err = p.cfg.Analyzer.Analyze(j.m)
					p.m.Observe(StagePostproc, time.Since(t0))
				}
				if j.m.Release != nil {
					j.m.Release()
				}
				r := &Result{Frame: j.m.Frame, Index: j.idx, Analysis: a, ScaleX: j.m.ScaleX, ScaleY: j.m.ScaleY}
				if err != nil {
					a.Release() // nil-safe
					r.Analysis, r.Err = nil, err
				}
				if !send(ctx, out, r) {
					return
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// reorder emits results in input order (hence in order per source). Every index arrives exactly
// once (per-frame failures are results too), so it never skips; its buffer is bounded because the
// inference stage takes an in-flight token per frame that done (called per emitted result) returns.
func reorder(ctx context.Context, in <-chan *Result, out chan<- *Result, done func()) error {
	defer close(out)
	pending := map[uint64]*Result{}
	var next uint64
	flush := func() bool {
		for {
			r, ok := pending[next]
			if !ok {
				return true
			}
			delete(pending, next)
			next++
			if !send(ctx, out, r) {
				return false
			}
			done()
		}
	}
	for {
		select {
		case r, ok := <-in:
			if !ok {
				for len(pending) > 0 { // only after a gap: skip to what is there
					next = minKey(pending)
					if !flush() {
						return nil
					}
				}
				return nil
			}
			if r.Index < next {
				continue // cannot happen: indices are unique
			}
			pending[r.Index] = r
			if !flush() {
				return nil
			}
		case <-ctx.Done():
			return nil
		}
	}
}

func minKey(m map[uint64]*Result) uint64 {
	k := uint64(math.MaxUint64)
	for i := range m {
		k = min(k, i)
	}
	return k
}

// decideStage applies the meta classifier, maps components to frame pixels and feeds the tracker.
func (p *run) decideStage(ctx context.Context, in <-chan *Result, out chan<- *Result) error {
	defer close(out)
	var probs []float64
	for {
		var r *Result
		var ok bool
		select {
		case r, ok = <-in:
			if !ok {
				return nil
			}
		case <-ctx.Done():
			return nil
		}
		if r.Analysis != nil {
			t0 := time.Now()
			a := r.Analysis
			n := len(a.Components)
			if cap(probs) < n {
				probs = make([]float64, n)
			}
			probs = probs[:n]
			clear(probs)
			if p.cfg.Classifier != nil && n > 0 {
				p.cfg.Classifier.PredictBatch(a.Metrics, n, probs)
			}
			r.Anomalies, r.Kept = make([]event.Anomaly, n), make([]bool, n)
			var kept []event.Anomaly
			for i, c := range a.Components {
				pfp := probs[i]
				if math.IsNaN(pfp) {
					// A broken classifier input keeps the component (err on the side of safety) and
					// reports it as not a false positive: JSON has no NaN, the event must still go out.
					pfp = 0
				}
				r.Anomalies[i] = toFrame(c, i+1, pfp, r.ScaleX, r.ScaleY)
				r.Kept[i] = p.cfg.Classifier == nil || !(pfp > p.cfg.Classifier.Threshold())
				if r.Kept[i] {
					kept = append(kept, r.Anomalies[i])
				} else {
					r.Rejected++
				}
			}
			f := r.Frame
			p.tracks.Assign(f.Source, kept)
			for i, j := 0, 0; i < n; i++ { // the overlay's copies get the same track ids
				if r.Kept[i] {
					r.Anomalies[i].TrackID = kept[j].TrackID
					j++
				}
			}
			hdr := event.Header{Source: f.Source, Frame: f.Seq, CaptureTS: event.At(f.Captured)}
			if tr := p.cfg.Tracker; tr != nil {
				for i := range r.Anomalies {
					r.Anomalies[i].InCorridor = tr.Config().Corridor.ContainsAnomaly(r.Anomalies[i], f.W, f.H)
				}
				best := tr.Mark(kept, f.W, f.H)
				if e := tr.Update(hdr, kept, best); e != nil {
					r.Events = append(r.Events, e)
				}
				r.Emergency = tr.Active(f.Source)
			}
			if len(kept) > 0 || p.cfg.EveryFrame {
				h := hdr
				h.Type = event.TypeAnomalies
				if kept == nil {
					kept = []event.Anomaly{}
				}
				// The anomalies event goes first, then emergency/clear.
				r.Events = append([]event.Event{&event.Anomalies{Header: h, Anomalies: kept, Rejected: r.Rejected}}, r.Events...)
			}
			p.m.Observe(StageMetaclf, time.Since(t0))
		}
		if !send(ctx, out, r) {
			return nil
		}
	}
}

// toFrame converts a component from map pixels to source-frame pixels.
func toFrame(c postproc.Component, id int, pfp, sx, sy float64) event.Anomaly {
	x0 := int(math.Floor(float64(c.BBox.Min.X) * sx))
	y0 := int(math.Floor(float64(c.BBox.Min.Y) * sy))
	x1 := int(math.Ceil(float64(c.BBox.Max.X) * sx))
	y1 := int(math.Ceil(float64(c.BBox.Max.Y) * sy))
	return event.Anomaly{
		ID:       id,
		BBox:     [4]int{x0, y0, x1 - x0, y1 - y0},
		Centroid: [2]float64{(c.Centroid[0]+0.5)*sx - 0.5, (c.Centroid[1]+0.5)*sy - 0.5},
		Area:     int(math.Round(float64(c.Area) * sx * sy)),
		PFP:      pfp,
	}
}
