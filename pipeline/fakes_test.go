package pipeline

import (
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"sync"
	"time"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/postproc"
)

// fakeSource yields n frames of w×h per stream (infinite: without end). The first `fails`
// streams fail with errFake after failAfter frames; the first openFails opens fail. live makes it
// a frame.Device (reopened when lost), paced a frame.Paced source (at fps; 0 = no pacing).
type fakeSource struct {
	id        string
	n, w, h   int
	live      bool
	paced     bool
	fps       float64
	infinite  bool
	failAfter int
	fails     int
	openFails int
	failOpens map[int]bool  // these opens (1-based) fail too
	every     time.Duration // sleep before each frame
	// stallOpens: on these opens (1-based) the stream blocks after its frames instead of ending,
	// until release is closed (a network stream that hangs).
	stallOpens map[int]bool
	release    chan struct{}

	mu    sync.Mutex
	opens int
	seq   uint64
}

var errFake = errors.New("fake source broke")

func (s *fakeSource) ID() string { return s.id }
func (s *fakeSource) Mode() frame.Mode {
	switch {
	case s.live:
		return frame.Device
	case s.paced:
		return frame.Paced
	}
	return frame.Replay
}
func (s *fakeSource) FPS() float64 { return s.fps }
func (s *fakeSource) Open() (frame.Stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opens++
	if s.opens <= s.openFails || s.failOpens[s.opens] {
		return nil, fmt.Errorf("open %d: %w", s.opens, errFake)
	}
	return &fakeStream{s: s, failing: s.opens-s.openFails <= s.fails, stall: s.stallOpens[s.opens]}, nil
}

type fakeStream struct {
	s       *fakeSource
	failing bool
	stall   bool
	i       int
}

func (st *fakeStream) Describe() string { return "fake " + st.s.id }
func (st *fakeStream) Close()           {}
func (st *fakeStream) Next() (*frame.Frame, error) {
	s := st.s
	if st.failing && st.i == s.failAfter {
		return nil, errFake
	}
	if !s.infinite && st.i >= s.n {
		if st.stall {
			<-s.release
		}
		return nil, io.EOF
	}
	if s.every > 0 {
		time.Sleep(s.every)
	}
	st.i++
	s.mu.Lock()
	f := &frame.Frame{Source: s.id, Seq: s.seq, Captured: time.Now(), W: s.w, H: s.h, Pix: make([]byte, 3*s.w*s.h)}
	s.seq++
	s.mu.Unlock()
	return f, nil
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

func (s *fakeSeg) Segment(frames []*frame.Frame) ([]*frame.Map, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*frame.Map, len(frames))
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
		out[i] = &frame.Map{Frame: f, C: 2, H: h, W: w, Data: d, ScaleX: 2, ScaleY: 2}
		if s.errAt[f.Seq] {
			out[i] = &frame.Map{Frame: f, Err: errors.New("model output is not finite")}
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

func (a fakeAnalyzer) Analyze(m *frame.Map) (*postproc.Result, error) {
	for _, v := range m.Data {
		if math.IsNaN(float64(v)) {
			return nil, errors.New("NaN logits")
		}
	}
	time.Sleep(time.Duration(m.Frame.Seq%3) * time.Millisecond)
	an := &postproc.Result{H: m.H, W: m.W, Entropy: make([]float32, m.H*m.W)}
	an.Components = append(an.Components, postproc.Component{Area: 4, BBox: image.Rect(0, 0, 2, 2), Centroid: [2]float64{0.5, 0.5}})
	an.Metrics = append(an.Metrics, 0.9)
	if a.anoms[m.Frame.Seq] {
		cx, cy := m.W/2, m.H*9/10
		an.Components = append(an.Components, postproc.Component{Area: 100, BBox: image.Rect(cx-5, cy-5, cx+5, cy+5), Centroid: [2]float64{float64(cx), float64(cy)}})
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
