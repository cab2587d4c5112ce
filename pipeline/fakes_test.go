package pipeline

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"sync"
	"time"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
)

// fakeSource sends n frames of w×h. With fails > 0 the first `fails` runs return errFake after
// failAfter frames (a live source is then retried). infinite ignores n.
type fakeSource struct {
	id        string
	n, w, h   int
	live      bool
	infinite  bool
	failAfter int
	fails     int

	mu   sync.Mutex
	runs int
	seq  uint64
}

var errFake = errors.New("fake source broke")

func (s *fakeSource) ID() string { return s.id }
func (s *fakeSource) Live() bool { return s.live }
func (s *fakeSource) Run(ctx context.Context, out chan<- *frame.Frame) error {
	s.mu.Lock()
	s.runs++
	failing := s.runs <= s.fails
	s.mu.Unlock()
	for i := 0; s.infinite || i < s.n; i++ {
		if failing && i == s.failAfter {
			return errFake
		}
		f := &frame.Frame{Source: s.id, Seq: s.seq, Captured: time.Now(), W: s.w, H: s.h, Pix: make([]byte, 3*s.w*s.h)}
		s.seq++
		select {
		case out <- f:
		case <-ctx.Done():
			return nil
		}
		if s.infinite {
			time.Sleep(time.Millisecond)
		}
	}
	return nil
}

// fakeSeg maps a w×h frame to a 2×(h/2)×(w/2) map. Frames whose Seq is in nan get NaN data;
// failAt ≥ 0 makes the call that contains that index fail.
type fakeSeg struct {
	nan    map[uint64]bool
	failAt int
	errAt  map[uint64]bool // frames the segmenter itself reports as failed
	mu     sync.Mutex
	seen   int
}

func (s *fakeSeg) Segment(frames []*frame.Frame) ([]*Map, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Map, len(frames))
	for i, f := range frames {
		if s.failAt >= 0 && s.seen == s.failAt {
			return nil, fmt.Errorf("output shape [1,3,4,4], want [N,19,H,W]")
		}
		s.seen++
		w, h := f.W/2, f.H/2
		d := make([]float32, 2*w*h)
		if s.nan[f.Seq] {
			d[0] = float32(math.NaN())
		}
		out[i] = &Map{Frame: f, C: 2, H: h, W: w, Data: d, ScaleX: 2, ScaleY: 2}
		if s.errAt[f.Seq] {
			out[i] = &Map{Frame: f, Err: errors.New("model output is not finite")}
		}
	}
	return out, nil
}

// fakeAnalyzer returns one component per frame whose seq is in anoms (at the bottom centre, in the
// default corridor) and one "false positive" component in the top-left corner on every frame. Its
// metric 0 is the P(false positive) the fake classifier returns. The delay shuffles worker order.
type fakeAnalyzer struct {
	anoms map[uint64]bool
}

func (a fakeAnalyzer) Analyze(m *Map) (*Analysis, error) {
	for _, v := range m.Data {
		if math.IsNaN(float64(v)) {
			return nil, errors.New("NaN logits")
		}
	}
	time.Sleep(time.Duration(m.Frame.Seq%3) * time.Millisecond)
	an := &Analysis{H: m.H, W: m.W, Entropy: make([]float32, m.H*m.W), NumMetrics: 1}
	an.Components = append(an.Components, Component{Area: 4, BBox: image.Rect(0, 0, 2, 2), Centroid: [2]float64{0.5, 0.5}})
	an.Metrics = append(an.Metrics, 0.9)
	if a.anoms[m.Frame.Seq] {
		cx, cy := m.W/2, m.H*9/10
		an.Components = append(an.Components, Component{Area: 100, BBox: image.Rect(cx-5, cy-5, cx+5, cy+5), Centroid: [2]float64{float64(cx), float64(cy)}})
		an.Metrics = append(an.Metrics, 0.1)
	}
	return an, nil
}

type fakeClf struct{}

func (fakeClf) PredictBatch(x []float64, n int, out []float64) { copy(out, x[:n]) }
func (fakeClf) Threshold() float64                             { return 0.5 }

// recordSink keeps what it got; closed counts Close calls.
type recordSink struct {
	mu      sync.Mutex
	results []string // "source:seq"
	perSrc  map[string][]uint64
	events  []event.Event
	lines   []string
	closed  int
	onFrame func(r *Result)
}

func (s *recordSink) Frame(r *Result) error {
	s.mu.Lock()
	if s.perSrc == nil {
		s.perSrc = map[string][]uint64{}
	}
	s.results = append(s.results, fmt.Sprintf("%s:%d", r.Frame.Source, r.Frame.Seq))
	s.perSrc[r.Frame.Source] = append(s.perSrc[r.Frame.Source], r.Frame.Seq)
	f := s.onFrame
	s.mu.Unlock()
	if f != nil {
		f(r)
	}
	return nil
}

func (s *recordSink) Event(e event.Event, line []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
	s.lines = append(s.lines, string(line))
	return nil
}

func (s *recordSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed++
	return nil
}

func (s *recordSink) types() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t []string
	for _, e := range s.events {
		if e.Head().Type == event.TypeStats {
			continue
		}
		t = append(t, e.Head().Type+":"+e.Head().Source)
	}
	return t
}
