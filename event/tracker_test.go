package event

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// in is a qualifying anomaly (in the default corridor of a 1000x500 frame, 1000 px); out is outside;
// small is in the corridor but below the area.
var (
	inA    = Anomaly{ID: 1, BBox: [4]int{480, 400, 40, 25}, Centroid: [2]float64{500, 412}, Area: 1000}
	outA   = Anomaly{ID: 1, BBox: [4]int{10, 10, 40, 25}, Centroid: [2]float64{30, 22}, Area: 1000}
	smallA = Anomaly{ID: 1, BBox: [4]int{495, 410, 5, 5}, Centroid: [2]float64{497, 412}, Area: 25}
)

func TestTracker(t *testing.T) {
	// Each string is one frame per character: 'x' qualifying anomaly, 'o' anomaly outside, 's' too small,
	// '.' nothing. want holds, per frame, 'E' emergency, 'C' clear, '-' nothing.
	cases := []struct {
		name, frames, want string
		k, n               int
	}{
		{"raise after k of n", "xx.x", "---E", 3, 5},
		{"consecutive", "xxx", "--E", 3, 5},
		{"too sparse", "x..x..x..x", "----------", 3, 5},
		{"outside never", "oooooo", "------", 3, 5},
		{"too small never", "ssssss", "------", 3, 5},
		{"clear after k misses", "xxx...", "--E--C", 3, 5},
		{"one miss keeps it (hysteresis)", "xxx.x.xx..", "--E-------", 3, 5},
		{"raise clear raise", "xxx...xxx", "--E--C--E", 3, 5},
		{"k=1", "x.x", "ECE", 1, 1},
		{"k=1 n=3 reraises", "x.x.", "ECEC", 1, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultTrackerConfig()
			cfg.K, cfg.N = c.k, c.n
			tr, err := NewTracker(cfg)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Unix(1000, 0)
			got := ""
			var lastSince uint64
			var lastEmerg *Emergency
			for i, ch := range c.frames {
				var anoms []Anomaly
				switch ch {
				case 'x':
					anoms = []Anomaly{outA, inA}
				case 'o':
					anoms = []Anomaly{outA}
				case 's':
					anoms = []Anomaly{smallA}
				}
				best := tr.Mark(anoms, 1000, 500)
				hdr := Header{Source: "s", Frame: uint64(i), CaptureTS: At(t0.Add(time.Duration(i) * 40 * time.Millisecond))}
				switch e := tr.Update(hdr, anoms, best).(type) {
				case nil:
					got += "-"
				case *Emergency:
					got += "E"
					lastSince, lastEmerg = e.SinceFrame, e
					if e.V != SchemaVersion || len(e.ID) != 20 {
						t.Errorf("frame %d: emergency not stamped: v=%d id=%q", i, e.V, e.ID)
					}
					if e.Type != TypeEmergency || !e.Anomaly.InCorridor || e.Anomaly.Area != inA.Area || e.SinceFrame > e.Frame {
						t.Errorf("frame %d: bad emergency %+v", i, e)
					}
				case *Clear:
					got += "C"
					if e.Type != TypeClear || e.SinceFrame != lastSince {
						t.Errorf("frame %d: clear since %d, want %d", i, e.SinceFrame, lastSince)
					}
					if e.EmergencyID != lastEmerg.ID || e.TrackID != lastEmerg.Anomaly.TrackID || e.ID == lastEmerg.ID || e.V != SchemaVersion {
						t.Errorf("frame %d: clear names emergency %q track %d (own id %q), want %q track %d",
							i, e.EmergencyID, e.TrackID, e.ID, lastEmerg.ID, lastEmerg.Anomaly.TrackID)
					}
					if want := float64(e.Frame-e.SinceFrame) * 40; e.DurationMS != want {
						t.Errorf("frame %d: duration %g ms, want %g", i, e.DurationMS, want)
					}
				default:
					t.Fatalf("unexpected event %T", e)
				}
			}
			if got != c.want {
				t.Errorf("frames %s: events %s, want %s", c.frames, got, c.want)
			}
		})
	}
}

func TestTrackerPerSource(t *testing.T) {
	tr, _ := NewTracker(DefaultTrackerConfig())
	var evs []string
	for i := 0; i < 3; i++ {
		for _, src := range []string{"a", "b"} {
			var anoms []Anomaly
			if src == "a" {
				anoms = []Anomaly{inA}
			}
			best := tr.Mark(anoms, 1000, 500)
			if e := tr.Update(Header{Source: src, Frame: uint64(i)}, anoms, best); e != nil {
				evs = append(evs, fmt.Sprintf("%s:%s", e.Head().Source, e.Head().Type))
			}
		}
	}
	if len(evs) != 1 || evs[0] != "a:emergency" || !tr.Active("a") || tr.Active("b") {
		t.Errorf("events %v, active a=%v b=%v", evs, tr.Active("a"), tr.Active("b"))
	}
}

func TestTrackerConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*TrackerConfig)
		want error
	}{
		{"k>n", func(c *TrackerConfig) { c.K, c.N = 6, 5 }, ErrTracker},
		{"k=0", func(c *TrackerConfig) { c.K = 0 }, ErrTracker},
		{"n=0", func(c *TrackerConfig) { c.N = 0 }, ErrTracker},
		{"n too big", func(c *TrackerConfig) { c.N, c.K = 65, 1 }, ErrTracker},
		{"area<0", func(c *TrackerConfig) { c.MinArea = -1 }, ErrTracker},
		{"corridor", func(c *TrackerConfig) { c.Corridor = c.Corridor[:2] }, ErrCorridor},
	}
	for _, c := range cases {
		cfg := DefaultTrackerConfig()
		c.mod(&cfg)
		if _, err := NewTracker(cfg); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

// TestTrackerEnd: ending an active source clears it; ending an idle or unknown one says nothing.
func TestTrackerEnd(t *testing.T) {
	tr, err := NewTracker(TrackerConfig{Corridor: DefaultCorridor(), MinArea: 1, K: 1, N: 1})
	if err != nil {
		t.Fatal(err)
	}
	a := []Anomaly{{Area: 10, Centroid: [2]float64{50, 90}, TrackID: 7}}
	em := tr.Update(Header{Source: "s", Frame: 3}, a, tr.Mark(a, 100, 100))
	if em == nil || em.Head().Type != TypeEmergency {
		t.Fatalf("no emergency: %v", em)
	}
	// The source event's header (already stamped by the pipeline) must not lend the clear its id.
	e := tr.End(Header{ID: "source-event-id", Type: TypeSource, Source: "s", Frame: 4})
	if c, ok := e.(*Clear); !ok || c.SinceFrame != 3 || c.EmergencyID != em.Head().ID || c.TrackID != 7 || c.ID == "source-event-id" || c.Type != TypeClear {
		t.Fatalf("end of an active source: %+v", e)
	}
	if e := tr.End(Header{Source: "s"}); e != nil || tr.Active("s") {
		t.Fatalf("second end: %v", e)
	}
	if e := tr.End(Header{Source: "never"}); e != nil {
		t.Fatalf("unknown source: %v", e)
	}
}

// TestTrackerEndAll: ending every source clears each open emergency (at its source's last frame,
// naming its emergency and track), says nothing for idle sources, and forgets them all.
func TestTrackerEndAll(t *testing.T) {
	tr, err := NewTracker(TrackerConfig{Corridor: DefaultCorridor(), MinArea: 1, K: 1, N: 1})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	feed := func(src string, frame uint64, track int) Event {
		var a []Anomaly
		if track > 0 {
			a = []Anomaly{{Area: 10, Centroid: [2]float64{50, 90}, TrackID: track}}
		}
		hdr := Header{Source: src, Frame: frame, CaptureTS: At(t0.Add(time.Duration(frame) * 100 * time.Millisecond))}
		return tr.Update(hdr, a, tr.Mark(a, 100, 100))
	}
	emB := feed("b", 2, 5)
	emA := feed("a", 10, 7)
	feed("a", 11, 7) // still in the emergency: the clear comes at the last frame
	feed("b", 5, 5)
	feed("idle", 0, 0)
	if emA == nil || emB == nil {
		t.Fatalf("no emergencies: a %v, b %v", emA, emB)
	}
	clears := tr.EndAll()
	if len(clears) != 2 {
		t.Fatalf("%d clears, want 2 (a and b): %+v", len(clears), clears)
	}
	want := []struct {
		src         string
		frame, from uint64
		em          Event
		track       int
		durMS       float64
	}{{"a", 11, 10, emA, 7, 100}, {"b", 5, 2, emB, 5, 300}}
	for i, w := range want {
		c := clears[i]
		if c.Type != TypeClear || c.Source != w.src || c.Frame != w.frame || c.SinceFrame != w.from ||
			c.EmergencyID != w.em.Head().ID || c.TrackID != w.track || c.DurationMS != w.durMS || c.ID == "" || c.ID == w.em.Head().ID {
			t.Errorf("clear %d: %+v, want source %s frame %d since %d emergency %s track %d duration %v ms",
				i, c, w.src, w.frame, w.from, w.em.Head().ID, w.track, w.durMS)
		}
	}
	for _, src := range []string{"a", "b", "idle"} {
		if tr.Active(src) {
			t.Errorf("%s still active after EndAll", src)
		}
	}
	if again := tr.EndAll(); len(again) != 0 {
		t.Errorf("second EndAll: %+v", again)
	}
}
