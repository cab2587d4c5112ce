package infer

import (
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/metaood/metaood/frame"
)

// Segment returns one map per frame in order, in batches of at most N.
func TestSegmentBatchesInOrder(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEngine(t, Config{Model: convModel(identity, []float32{0, 0, 0}, dynIn(), dynOut(3), 1), Batch: 4, Registry: reg, Preset: "bgr01"})
	var frames []*frame.Frame
	for i := range 10 {
		frames = append(frames, solid("s", uint64(i), 4, 2, byte(i*20), 0, 0))
	}
	maps, err := e.Segment(frames)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range maps {
		if m.Err != nil || m.Frame.Seq != uint64(i) || m.C != 3 || m.W != 4 || m.H != 2 {
			t.Fatalf("map %d: frame %d, %dx%dx%d, err %v", i, m.Frame.Seq, m.C, m.H, m.W, m.Err)
		}
		if want := float32(m.Frame.Pix[0]) / 255; m.Data[0] != want {
			t.Errorf("frame %d: value %v, want %v", i, m.Data[0], want)
		}
		m.Release()
	}
	if runs := metricValue(t, reg, "metaood_infer_batch_frames"); runs != 3 { // 4 + 4 + 2
		t.Errorf("runs = %v, want 3", runs)
	}
}

// A frame whose output is NaN gets a map with Err (ErrNonFinite); the frames around it go through.
func TestSegmentBadFramesPerFrame(t *testing.T) {
	inits := []pbuf{floatTensor("W", []int64{1, 3, 1, 1}, []float32{-1, 0, 0}), floatTensor("B", []int64{1}, []float32{0.5})}
	nodes := []pbuf{node("Conv", []string{"image", "W", "B"}, []string{"c"}), node("Sqrt", []string{"c"}, []string{"logits"})}
	m := model(nodes, inits, []pbuf{valueInfo("image", tFloat, dynIn())}, []pbuf{valueInfo("logits", tFloat, dynOut(1))})
	e := newEngine(t, Config{Model: m, Batch: 2})
	var frames []*frame.Frame
	for i, red := range []byte{0, 255, 10, 255, 255, 20} {
		frames = append(frames, solid("s", uint64(i), 3, 3, 0, 0, red))
	}
	maps, err := e.Segment(frames)
	if err != nil {
		t.Fatal(err)
	}
	var good []uint64
	for _, m := range maps {
		switch {
		case m.Err == nil:
			good = append(good, m.Frame.Seq)
			m.Release()
		case !errors.Is(m.Err, ErrNonFinite):
			t.Errorf("frame %d: %v, want ErrNonFinite", m.Frame.Seq, m.Err)
		}
	}
	if len(good) != 3 || good[0] != 0 || good[1] != 2 || good[2] != 5 {
		t.Fatalf("good maps %v, want [0 2 5]", good)
	}
}
