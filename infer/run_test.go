package infer

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/metaood/metaood/frame"
)

func recv(t *testing.T, out <-chan *Output) (*Output, bool) {
	t.Helper()
	select {
	case o, ok := <-out:
		return o, ok
	case <-time.After(20 * time.Second):
		t.Fatal("no output within 20 s")
		return nil, false
	}
}

// Frames already queued are taken together (batches ≤ N), in order.
func TestRunTakesWhatIsQueued(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEngine(t, Config{Model: convModel(identity, []float32{0, 0, 0}, dynIn(), dynOut(3), 1), Batch: 4, Registry: reg, Preset: "bgr01"})
	in := make(chan *frame.Frame, 16)
	for i := range 10 {
		in <- solid("s", uint64(i), 4, 2, byte(i*20), 0, 0)
	}
	close(in)
	out := make(chan *Output, 16)
	if err := e.Run(context.Background(), in, out); err != nil {
		t.Fatal(err)
	}
	var seq []uint64
	for o := range out { // Run closed out
		if want := float32(o.Frame.Pix[0]) / 255; o.Data[0] != want {
			t.Errorf("frame %d: value %v, want %v", o.Frame.Seq, o.Data[0], want)
		}
		seq = append(seq, o.Frame.Seq)
		o.Release()
	}
	for i, s := range seq {
		if s != uint64(i) {
			t.Fatalf("order %v, want 0..9", seq)
		}
	}
	if len(seq) != 10 {
		t.Fatalf("%d outputs, want 10", len(seq))
	}
	if runs := metricValue(t, reg, "metaood_infer_batch_frames"); runs != 3 { // 4 + 4 + 2
		t.Errorf("runs = %v, want 3", runs)
	}
}

// One frame and nothing more queued: it is run at once, not held for a full batch.
func TestRunNeverWaitsForFullBatch(t *testing.T) {
	e := newEngine(t, Config{Model: convModel(identity, []float32{0, 0, 0}, dynIn(), dynOut(3), 1), Batch: 8})
	in := make(chan *frame.Frame)
	out := make(chan *Output)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, in, out) }()
	for i := range 3 {
		select {
		case in <- solid("s", uint64(i), 4, 2, 1, 2, 3):
		case <-time.After(20 * time.Second):
			t.Fatal("Run does not take frames")
		}
		o, ok := recv(t, out)
		if !ok || o.Frame.Seq != uint64(i) {
			t.Fatalf("got %v (open %v), want frame %d", o, ok, i)
		}
		o.Release()
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run after cancel: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not stop on cancel")
	}
	if _, ok := <-out; ok {
		t.Fatal("out not closed")
	}
}

// A NaN frame is skipped and counted; the frames around it go through.
func TestRunSkipsBadFrames(t *testing.T) {
	inits := []pbuf{floatTensor("W", []int64{1, 3, 1, 1}, []float32{-1, 0, 0}), floatTensor("B", []int64{1}, []float32{0.5})}
	nodes := []pbuf{node("Conv", []string{"image", "W", "B"}, []string{"c"}), node("Sqrt", []string{"c"}, []string{"logits"})}
	m := model(nodes, inits, []pbuf{valueInfo("image", tFloat, dynIn())}, []pbuf{valueInfo("logits", tFloat, dynOut(1))})
	reg := prometheus.NewRegistry()
	e := newEngine(t, Config{Model: m, Batch: 2, Registry: reg})
	in := make(chan *frame.Frame, 8)
	for i, red := range []byte{0, 255, 10, 255, 255, 20} {
		in <- solid("s", uint64(i), 3, 3, 0, 0, red)
	}
	close(in)
	out := make(chan *Output, 8)
	if err := e.Run(context.Background(), in, out); err != nil {
		t.Fatal(err)
	}
	var seq []uint64
	for o := range out {
		seq = append(seq, o.Frame.Seq)
		o.Release()
	}
	if len(seq) != 3 || seq[0] != 0 || seq[1] != 2 || seq[2] != 5 {
		t.Fatalf("outputs %v, want [0 2 5]", seq)
	}
	if n := metricValue(t, reg, "metaood_infer_errors_total"); n != 3 {
		t.Errorf("errors_total = %v, want 3", n)
	}
}
