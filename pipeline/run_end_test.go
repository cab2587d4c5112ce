package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
)

// seqSink logs frames and source events in the order the sinks get them: "frame:N", "opened:N".
type seqSink struct {
	mu  sync.Mutex
	log []string
}

func (s *seqSink) Frame(r *Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, fmt.Sprintf("frame:%d", r.Frame.Seq))
	return nil
}

func (s *seqSink) Event(e event.Event, _ []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := e.(*event.SourceState); ok {
		s.log = append(s.log, fmt.Sprintf("%s:%d", st.State, st.Frame))
	}
	return nil
}

func (s *seqSink) Close() error { return nil }

// TestSourceStartCarriesFirstFrame: a replay that starts at frame 140 says so in its "opened"
// event, and each "reconnected" event names the first frame after it; ends name the last frame.
func TestSourceStartCarriesFirstFrame(t *testing.T) {
	seq := &seqSink{}
	if _, err := runWith(t, context.Background(), Config{Sources: []frame.Source{&fakeSource{id: "drive", n: 5, w: 8, h: 8, seq: 140}},
		Sinks: []Sink{seq}}); err != nil {
		t.Fatal(err)
	}
	want := "opened:140 frame:140 frame:141 frame:142 frame:143 frame:144 ended:144"
	if got := strings.Join(seq.log, " "); got != want {
		t.Errorf("replay from frame 140:\n got %s\nwant %s", got, want)
	}

	// A camera lost after each frame twice, then good: every start is followed by its frame.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	live := &seqSink{}
	stopAt := &recordSink{}
	src := &fakeSource{id: "cam", live: true, n: 3, failAfter: 1, fails: 2, w: 8, h: 8, seq: 1000}
	stopAt.onFrame = func(r *Result) {
		if r.Frame.Seq == 1004 {
			cancel()
		}
	}
	if _, err := runWith(t, ctx, Config{Sources: []frame.Source{src}, Sinks: []Sink{live, stopAt}, RetryBackoff: 5 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	starts := 0
	for i, l := range live.log {
		state, n, _ := strings.Cut(l, ":")
		if state != event.StateOpened && state != event.StateReconnected {
			continue
		}
		starts++
		if i+1 >= len(live.log) || live.log[i+1] != "frame:"+n {
			t.Errorf("%s not followed by its first frame: %v", l, live.log)
		}
	}
	if starts != 3 || live.log[0] != "opened:1000" {
		t.Errorf("%d starts, want 3 from frame 1000: %v", starts, live.log)
	}
}

// TestHurryClearsOpenEmergency: a run stopped in a hurry (no draining, the source's end event
// may never reach the sinks) still gives the sinks the clear of the emergency they saw open,
// naming it and its track.
func TestHurryClearsOpenEmergency(t *testing.T) {
	anoms := map[uint64]bool{}
	for i := uint64(3); i < 100000; i++ {
		anoms[i] = true
	}
	tr, err := event.NewTracker(event.DefaultTrackerConfig())
	if err != nil {
		t.Fatal(err)
	}
	hurry := make(chan struct{})
	var once sync.Once
	rec := &recordSink{onFrame: func(r *Result) {
		for _, e := range r.Events {
			if e.Head().Type == event.TypeEmergency {
				once.Do(func() { close(hurry) })
			}
		}
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // a second Ctrl-C: the graceful stop, then the hurry
		select {
		case <-hurry:
			cancel()
		case <-time.After(20 * time.Second):
		}
	}()
	if _, err := runWith(t, ctx, Config{
		Sources: []frame.Source{&fakeSource{id: "cam", live: true, infinite: true, w: 200, h: 100}}, Analyzer: fakeAnalyzer{anoms: anoms},
		Classifier: fakeClf{}, Tracker: tr, Sinks: []Sink{rec}, Hurry: hurry,
	}); err != nil {
		t.Fatal(err)
	}
	var ems, clears []string
	var emTrack, clearTrack int
	var emSince uint64
	for _, e := range rec.events {
		switch e := e.(type) {
		case *event.Emergency:
			ems, emTrack, emSince = append(ems, e.ID), e.Anomaly.TrackID, e.SinceFrame
		case *event.Clear:
			clears, clearTrack = append(clears, e.EmergencyID), e.TrackID
			if e.SinceFrame != emSince || e.ID == "" {
				t.Errorf("clear %+v, want since frame %d (the emergency's) and an id", e, emSince)
			}
		}
	}
	if len(ems) != 1 || len(clears) != 1 || clears[0] != ems[0] || clearTrack != emTrack || clearTrack == 0 {
		t.Errorf("emergencies %v (track %d), clears of %v (track %d): want one clear naming the emergency and its track",
			ems, emTrack, clears, clearTrack)
	}
	if tr.Active("cam") {
		t.Error("tracker still active after the run")
	}
	if rec.closed != 1 {
		t.Errorf("sink closed %d times", rec.closed)
	}
}

// TestClearOpen: at the end of a run the sinks get a clear for each emergency they saw open: the
// tracker's own clear when it still has the emergency, one built from the emergency when its clear
// was lost with a frame in flight; an emergency the sinks never saw gets no clear.
func TestClearOpen(t *testing.T) {
	tr, err := event.NewTracker(event.TrackerConfig{Corridor: event.DefaultCorridor(), MinArea: 1, K: 1, N: 1})
	if err != nil {
		t.Fatal(err)
	}
	ids := event.NewIDs(nil)
	tr.SetIDs(ids)
	t0 := time.Now().Add(-time.Second)
	feed := func(src string, frame uint64, hit bool) event.Event {
		var a []event.Anomaly
		if hit {
			a = []event.Anomaly{{Area: 10, Centroid: [2]float64{50, 90}, TrackID: 3}}
		}
		return tr.Update(event.Header{Source: src, Frame: frame, CaptureTS: event.At(t0.Add(time.Duration(frame) * 10 * time.Millisecond))}, a, tr.Mark(a, 100, 100))
	}
	open := openEmergencies{}
	emA := feed("a", 2, true) // open in the tracker and the sinks
	feed("a", 4, true)
	open.note(emA)
	emB := feed("b", 5, true) // the sinks saw it; its clear (frame 6) was lost in flight
	open.note(emB)
	if c := feed("b", 6, false); c == nil {
		t.Fatal("b not cleared")
	}
	feed("c", 1, true) // raised, but lost in flight: the sinks never saw it
	rec := &recordSink{}
	p := &run{cfg: Config{Tracker: tr}, log: slog.New(slog.DiscardHandler), ids: ids}
	p.clearOpen([]Sink{rec}, map[string]uint64{"a": 3, "b": 7, "c": 0}, open)
	if len(rec.events) != 2 || len(open) != 0 {
		t.Fatalf("%d events %v, still open %v; want the clears of a and b", len(rec.events), rec.lines, open)
	}
	a, b := rec.events[0].(*event.Clear), rec.events[1].(*event.Clear)
	if a.Source != "a" || a.EmergencyID != emA.Head().ID || a.Frame != 4 || a.SinceFrame != 2 || a.DurationMS != 20 || a.TrackID != 3 {
		t.Errorf("tracker's clear of a: %+v", a)
	}
	if b.Source != "b" || b.EmergencyID != emB.Head().ID || b.Frame != 7 || b.SinceFrame != 5 || b.DurationMS < 900 || b.TrackID != 3 || b.ID == "" {
		t.Errorf("built clear of b: %+v", b)
	}
}
