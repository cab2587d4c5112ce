package event

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMarshalFields(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	h := Header{Source: "cam0", Frame: 7, CaptureTS: At(ts), EmitTS: At(ts)}
	a := Anomaly{ID: 1, BBox: [4]int{1, 2, 3, 4}, Centroid: [2]float64{2.5, 4}, Area: 12, PFP: 0.25, InCorridor: true}
	cases := []struct {
		name string
		ev   Event
		typ  string
		keys []string
	}{
		{"anomalies", &Anomalies{Header: withType(h, TypeAnomalies), Anomalies: []Anomaly{a}, Rejected: 2}, TypeAnomalies, []string{"anomalies", "rejected"}},
		{"emergency", &Emergency{Header: withType(h, TypeEmergency), Anomaly: a, SinceFrame: 3}, TypeEmergency, []string{"anomaly", "since_frame"}},
		{"clear", &Clear{Header: withType(h, TypeClear), SinceFrame: 3, DurationMS: 40}, TypeClear, []string{"since_frame", "duration_ms"}},
		{"source", &SourceState{Header: withType(h, TypeSource), State: StateLost, Detail: "eof"}, TypeSource, []string{"state", "detail"}},
		{"stats", &Stats{Header: withType(h, TypeStats), Stages: map[string]StageStats{"infer": {1, 2}}, FPS: 30, Provider: "cpu"}, TypeStats, []string{"stages", "fps", "dropped", "provider"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Marshal(c.ev)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if m["type"] != c.typ {
				t.Errorf("type = %v, want %s", m["type"], c.typ)
			}
			for _, k := range append([]string{"source", "frame", "capture_ts", "emit_ts"}, c.keys...) {
				if _, ok := m[k]; !ok {
					t.Errorf("missing key %q in %s", k, b)
				}
			}
			if m["capture_ts"] != "2026-01-02T03:04:05.123456789Z" {
				t.Errorf("capture_ts = %v, want RFC 3339 with nanoseconds", m["capture_ts"])
			}
		})
	}
	b, _ := Marshal(&Anomalies{Header: withType(h, TypeAnomalies), Anomalies: []Anomaly{a}})
	if !strings.Contains(string(b), `"bbox":[1,2,3,4]`) || !strings.Contains(string(b), `"p_fp":0.25`) {
		t.Errorf("anomaly fields: %s", b)
	}
}

func withType(h Header, typ string) Header { h.Type = typ; return h }

func TestParseCorridor(t *testing.T) {
	cases := []struct {
		in      string
		wantErr bool
		n       int
	}{
		{"0.42,0.58;0.58,0.58;0.85,1;0.15,1", false, 4},
		{" 0,0 ; 1,0 ; 0.5,1 ", false, 3},
		{"0,0;1,0", true, 0},
		{"0,0;1,0;x,1", true, 0},
		{"0,0;1,0;1.5,1", true, 0},
		{"0,0;1,0;NaN,1", true, 0},
		{"0,0;1;1,1", true, 0},
		{"", true, 0},
	}
	for _, c := range cases {
		got, err := ParseCorridor(c.in)
		if (err != nil) != c.wantErr {
			t.Errorf("ParseCorridor(%q) err = %v, wantErr %v", c.in, err, c.wantErr)
			continue
		}
		if err != nil && !errors.Is(err, ErrCorridor) {
			t.Errorf("ParseCorridor(%q) err %v is not ErrCorridor", c.in, err)
		}
		if err == nil && len(got) != c.n {
			t.Errorf("ParseCorridor(%q) = %d points, want %d", c.in, len(got), c.n)
		}
	}
	back, err := ParseCorridor(DefaultCorridor().String())
	if err != nil || back.String() != DefaultCorridor().String() {
		t.Errorf("round trip: %v %v", back, err)
	}
}

func TestCorridorContains(t *testing.T) {
	c := DefaultCorridor()
	cases := []struct {
		x, y float64
		want bool
	}{
		{0.5, 0.9, true}, {0.5, 0.59, true}, {0.5, 0.3, false}, {0.05, 0.95, false}, {0.95, 0.95, false}, {0.2, 0.97, true},
	}
	for _, k := range cases {
		if got := c.Contains(k.x, k.y); got != k.want {
			t.Errorf("Contains(%g,%g) = %v, want %v", k.x, k.y, got, k.want)
		}
	}
	// An object whose centroid is above the corridor but whose base stands in it counts.
	a := Anomaly{BBox: [4]int{480, 200, 40, 200}, Centroid: [2]float64{500, 300}}
	if !c.ContainsAnomaly(a, 1000, 500) {
		t.Error("object standing in the corridor not detected")
	}
}

func FuzzParseCorridor(f *testing.F) {
	f.Add("0.42,0.58;0.58,0.58;0.85,1;0.15,1")
	f.Add("0,0;1,;")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCorridor(s)
		if err != nil {
			return
		}
		if c.Validate() != nil {
			t.Fatalf("accepted invalid corridor %q", s)
		}
		if _, err := ParseCorridor(c.String()); err != nil {
			t.Fatalf("String() of %q does not parse: %v", s, err)
		}
	})
}

// TestTimeFixedWidth: timestamps always carry nine fraction digits in UTC (time.Time's own JSON
// trims trailing zeros and whole seconds lose their fraction), and read back to the same instant.
func TestTimeFixedWidth(t *testing.T) {
	for _, ts := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC),
		time.Date(2026, 1, 2, 4, 4, 5, 123456789, time.FixedZone("CET", 3600)),
	} {
		b, err := json.Marshal(At(ts))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != len(`"2026-01-02T03:04:05.000000000Z"`) || !strings.HasSuffix(string(b), `Z"`) {
			t.Errorf("%v marshals as %s", ts, b)
		}
		var back Time
		if err := json.Unmarshal(b, &back); err != nil || !back.Equal(ts) {
			t.Errorf("%s reads back as %v (%v)", b, back, err)
		}
	}
}
