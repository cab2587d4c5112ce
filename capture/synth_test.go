package capture

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/metaood/metaood/frame"
)

func TestSynthReplayIsFiniteAndDeterministic(t *testing.T) {
	run := func() []*frame.Frame {
		src, err := Open("synth:seed=3,frames=5,size=64x32", Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		frames, err := collect(t, src)
		if err != nil {
			t.Fatal(err)
		}
		return frames
	}
	a, b := run(), run()
	if len(a) != 5 || len(b) != 5 {
		t.Fatalf("%d and %d frames, want 5", len(a), len(b))
	}
	for i := range a {
		if a[i].Seq != uint64(i) || a[i].W != 64 || a[i].H != 32 || a[i].Source != "synth" {
			t.Errorf("frame %d: %s/%d %dx%d", i, a[i].Source, a[i].Seq, a[i].W, a[i].H)
		}
		if !bytes.Equal(a[i].Pix, b[i].Pix) {
			t.Errorf("frame %d differs between runs", i)
		}
	}
	if bytes.Equal(a[0].Pix, a[4].Pix) {
		t.Error("frames 0 and 4 are identical: the drive does not move")
	}
}

// Realtime synth is live: a slow consumer makes it drop frames (newest wins, gaps in Seq),
// every frame is either delivered or counted as dropped, and the drive still ends.
func TestSynthRealtimeDropsWhenBehind(t *testing.T) {
	src, err := Open("synth:frames=12,fps=200,size=32x32", Options{Realtime: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := make(chan *frame.Frame) // unbuffered: the consumer below is slow
	errc := make(chan error, 1)
	t0 := time.Now()
	go func() { errc <- src.Run(ctx, out); close(out) }()
	var seqs []uint64
	for f := range out {
		seqs = append(seqs, f.Seq)
		time.Sleep(20 * time.Millisecond) // 4 frame periods
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if el := time.Since(t0); el < 50*time.Millisecond { // 12 frames at 200 fps: ≥ 55 ms
		t.Errorf("paced drive took %v", el)
	}
	st := src.(StatsSource).Stats()
	if st.Dropped == 0 || uint64(len(seqs))+st.Dropped != 12 || st.Frames != 12 {
		t.Errorf("delivered %v, stats %+v; want drops and delivered+dropped = 12", seqs, st)
	}
	// The pipeline counts these drops through pipeline.DropCounter.
	if dc, ok := src.(interface{ DroppedFrames() uint64 }); !ok || dc.DroppedFrames() != st.Dropped {
		t.Errorf("source does not report its %d drops as DroppedFrames", st.Dropped)
	}
	if !slices.IsSorted(seqs) || seqs[len(seqs)-1] != 11 {
		t.Errorf("seqs %v: want increasing, ending with the newest (11)", seqs)
	}
}

func TestSynthStopsOnCancel(t *testing.T) {
	src, err := Open("synth:frames=0,size=32x32", Options{}, nil) // endless
	if err != nil {
		t.Fatal(err)
	}
	var log stateLog
	src.(*synthSource).opts.OnState = log.on
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan *frame.Frame)
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx, out) }()
	for range 3 {
		select {
		case <-out:
		case <-time.After(10 * time.Second):
			t.Fatal("no frame")
		}
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
	if states, _ := log.get(); len(states) != 2 || states[1] != StateEnded {
		t.Errorf("states %v", states)
	}
}
