package pipeline

import (
	"context"
	"image"
	"slices"
	"testing"
	"time"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/postproc"
)

func TestReorder(t *testing.T) {
	cases := []struct {
		name string
		in   []uint64
		want []uint64
	}{
		{"in order", []uint64{0, 1, 2}, []uint64{0, 1, 2}},
		{"swapped", []uint64{1, 0, 3, 2}, []uint64{0, 1, 2, 3}},
		{"reversed", []uint64{4, 3, 2, 1, 0}, []uint64{0, 1, 2, 3, 4}},
		{"gap at the end is skipped", []uint64{0, 2, 3}, []uint64{0, 2, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in, out := make(chan *Result, len(c.in)), make(chan *Result, len(c.in))
			for _, i := range c.in {
				in <- &Result{Index: i}
			}
			close(in)
			if err := reorder(context.Background(), in, out, func() {}); err != nil {
				t.Fatal(err)
			}
			var got []uint64
			for r := range out {
				got = append(got, r.Index)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestReorderStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	in, out := make(chan *Result), make(chan *Result)
	done := make(chan error, 1)
	go func() { done <- reorder(ctx, in, out, func() {}) }()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("reorder ignored cancel")
	}
}

func TestToFrame(t *testing.T) {
	cases := []struct {
		c      postproc.Component
		sx, sy float64
		want   event.Anomaly
	}{
		{postproc.Component{Area: 4, BBox: image.Rect(1, 2, 3, 4), Centroid: [2]float64{1.5, 2.5}}, 1, 1,
			event.Anomaly{ID: 1, BBox: [4]int{1, 2, 2, 2}, Centroid: [2]float64{1.5, 2.5}, Area: 4}},
		{postproc.Component{Area: 4, BBox: image.Rect(1, 2, 3, 4), Centroid: [2]float64{1.5, 2.5}}, 2, 0.5,
			event.Anomaly{ID: 1, BBox: [4]int{2, 1, 4, 1}, Centroid: [2]float64{3.5, 1}, Area: 4}},
		{postproc.Component{Area: 1, BBox: image.Rect(0, 0, 1, 1), Centroid: [2]float64{0, 0}}, 1.875, 1.0546875,
			event.Anomaly{ID: 1, BBox: [4]int{0, 0, 2, 2}, Centroid: [2]float64{0.4375, 0.02734375}, Area: 2}},
	}
	for i, c := range cases {
		if got := toFrame(c.c, 1, 0, c.sx, c.sy); got != c.want {
			t.Errorf("case %d: got %+v, want %+v", i, got, c.want)
		}
	}
}
