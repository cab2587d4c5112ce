package event

import (
	"fmt"
	"strings"
	"testing"
)

// box is an anomaly whose box is w×h at (x, y), centroid in its middle.
func box(x, y, w, h int) Anomaly {
	return Anomaly{BBox: [4]int{x, y, w, h}, Centroid: [2]float64{float64(x) + float64(w)/2, float64(y) + float64(h)/2}, Area: w * h}
}

func TestTracks(t *testing.T) {
	// Each case is a list of frames of one source; want holds each frame's track ids in anomaly order.
	cases := []struct {
		name   string
		frames [][]Anomaly
		want   string
	}{
		{"still object keeps its id", [][]Anomaly{{box(100, 100, 40, 40)}, {box(102, 101, 40, 40)}, {box(104, 102, 40, 40)}}, "1|1|1"},
		{"two objects, order swapped", [][]Anomaly{{box(0, 0, 20, 20), box(200, 0, 20, 20)}, {box(201, 1, 20, 20), box(1, 1, 20, 20)}}, "1,2|2,1"},
		{"far jump is a new object", [][]Anomaly{{box(0, 0, 20, 20)}, {box(500, 500, 20, 20)}}, "1|2"},
		{"small fast object matched by centroid", [][]Anomaly{{box(100, 100, 10, 10)}, {box(106, 100, 10, 10)}}, "1|1"},
		{"growing object (approaching)", [][]Anomaly{{box(100, 100, 20, 20)}, {box(95, 95, 32, 32)}, {box(88, 88, 46, 46)}}, "1|1|1"},
		{"one missed frame keeps the id", [][]Anomaly{{box(50, 50, 30, 30)}, {}, {box(51, 50, 30, 30)}}, "1||1"},
		{"three missed frames end the track", [][]Anomaly{{box(50, 50, 30, 30)}, {}, {}, {}, {box(51, 50, 30, 30)}}, "1||||2"},
		{"split: the better overlap keeps the id", [][]Anomaly{{box(100, 100, 40, 40)}, {box(100, 100, 40, 30), box(100, 131, 40, 9)}}, "1|1,2"},
		{"merge: one id survives", [][]Anomaly{{box(100, 100, 20, 40), box(121, 100, 19, 40)}, {box(100, 100, 40, 40)}}, "1,2|1"},
		{"ids are not reused", [][]Anomaly{{box(0, 0, 10, 10)}, {}, {}, {}, {box(300, 300, 10, 10)}, {box(0, 0, 10, 10), box(300, 300, 10, 10)}}, "1||||2|3,2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := NewTracks()
			var got []string
			for _, f := range c.frames {
				anoms := append([]Anomaly(nil), f...)
				tr.Assign("s", anoms)
				ids := make([]string, len(anoms))
				for i, a := range anoms {
					ids[i] = fmt.Sprint(a.TrackID)
				}
				got = append(got, strings.Join(ids, ","))
			}
			if g := strings.Join(got, "|"); g != c.want {
				t.Errorf("track ids %s, want %s", g, c.want)
			}
		})
	}
}

// TestTracksPerSourceAndEnd: sources count their own ids; End drops the live tracks but never
// reuses an id.
func TestTracksPerSourceAndEnd(t *testing.T) {
	tr := NewTracks()
	a := []Anomaly{box(10, 10, 20, 20)}
	b := []Anomaly{box(10, 10, 20, 20)}
	tr.Assign("a", a)
	tr.Assign("b", b)
	if a[0].TrackID != 1 || b[0].TrackID != 1 {
		t.Fatalf("first ids a=%d b=%d, want 1 and 1", a[0].TrackID, b[0].TrackID)
	}
	tr.End("a")
	tr.Assign("a", a)
	tr.Assign("b", b)
	if a[0].TrackID != 2 || b[0].TrackID != 1 {
		t.Errorf("after End(a): a=%d (want 2, a new track), b=%d (want 1)", a[0].TrackID, b[0].TrackID)
	}
}

func TestBoxIoU(t *testing.T) {
	cases := []struct {
		a, b [4]int
		want float64
	}{
		{[4]int{0, 0, 10, 10}, [4]int{0, 0, 10, 10}, 1},
		{[4]int{0, 0, 10, 10}, [4]int{5, 0, 10, 10}, 50.0 / 150},
		{[4]int{0, 0, 10, 10}, [4]int{10, 0, 10, 10}, 0},
		{[4]int{0, 0, 10, 10}, [4]int{2, 2, 4, 4}, 16.0 / 100},
		{[4]int{0, 0, 0, 0}, [4]int{0, 0, 0, 0}, 0},
	}
	for _, c := range cases {
		if got := boxIoU(c.a, c.b); got != c.want {
			t.Errorf("IoU(%v, %v) = %g, want %g", c.a, c.b, got, c.want)
		}
	}
}
