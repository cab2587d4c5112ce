package stream

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeEncoder stands in for VP8: a frame is its seq-free payload; keys on request or first frame.
type fakeEncoder struct {
	y, u, v []byte
	n       int
	forced  *atomic.Int64
	gate    chan struct{} // when non-nil, Encode waits for a token
	entered chan struct{}
}

func (f *fakeEncoder) Planes() (y, u, v []byte) { return f.y, f.u, f.v }
func (f *fakeEncoder) Close()                   {}
func (f *fakeEncoder) Encode(_ int64, _ int, force bool, out []byte) ([]byte, bool, error) {
	if f.entered != nil {
		select {
		case f.entered <- struct{}{}:
		default:
		}
	}
	if f.gate != nil {
		<-f.gate
	}
	if force {
		f.forced.Add(1)
	}
	key := force || f.n == 0
	f.n++
	return append(out[:0], 1, 2, 3), key, nil
}

// useFakeEncoder swaps newEncoder for the test's duration.
func useFakeEncoder(t *testing.T, mk func(s encoderSettings) *fakeEncoder) {
	old := newEncoder
	newEncoder = func(s encoderSettings) (encoder, error) { return mk(s), nil }
	t.Cleanup(func() { newEncoder = old })
}

func planesFor(s encoderSettings) (y, u, v []byte) {
	c := ((s.W + 1) / 2) * ((s.H + 1) / 2)
	return make([]byte, s.W*s.H), make([]byte, c), make([]byte, c)
}

// TestSlowViewerDrops: a viewer that never reads loses frames (counted, keyframe requested) while
// a reading viewer gets every encoded frame, and publishing never waits for either.
func TestSlowViewerDrops(t *testing.T) {
	var forced atomic.Int64
	useFakeEncoder(t, func(s encoderSettings) *fakeEncoder {
		f := &fakeEncoder{forced: &forced}
		f.y, f.u, f.v = planesFor(s)
		return f
	})
	s, err := New(Config{Addr: "127.0.0.1:0"}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	src := newSource(s, "cam0")
	stuck, reader := newViewer(s, src, "stuck"), newViewer(s, src, "reader")
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	src.addViewer(ctx, &wg, stuck)
	src.addViewer(ctx, &wg, reader)

	const frames = 40
	got := 0
	bgr := make([]byte, 3*32*32)
	for i := 0; i < frames; i++ {
		src.publish(uint64(i), time.Now(), 32, 32, bgr)
		// Let the encoder take each frame so none is replaced in the slot: every frame reaches fanOut.
		select {
		case <-reader.frames:
			got++
		case <-time.After(5 * time.Second):
			t.Fatalf("frame %d never reached the reading viewer", i)
		}
	}
	cancel()
	wg.Wait()
	if got != frames {
		t.Errorf("reading viewer got %d frames, want %d", got, frames)
	}
	if d := stuck.droppedFrames.Load(); d != frames-viewerFrameQueue {
		t.Errorf("stuck viewer dropped %d, want %d (queue of %d)", d, frames-viewerFrameQueue, viewerFrameQueue)
	}
	if reader.droppedFrames.Load() != 0 {
		t.Errorf("reading viewer dropped %d frames", reader.droppedFrames.Load())
	}
	if forced.Load() < 2 { // the join, then the stuck viewer's drops
		t.Errorf("forced keyframes = %d, want ≥ 2", forced.Load())
	}
	if !stuck.waitKey.Load() {
		t.Error("stuck viewer should wait for a keyframe after dropping")
	}
}

// TestStuckEncoderNeverBlocksPublish: with the encoder stuck, PublishFrame keeps only the newest frame.
func TestStuckEncoderNeverBlocksPublish(t *testing.T) {
	gate, entered := make(chan struct{}), make(chan struct{}, 1)
	useFakeEncoder(t, func(s encoderSettings) *fakeEncoder {
		f := &fakeEncoder{forced: new(atomic.Int64), gate: gate, entered: entered}
		f.y, f.u, f.v = planesFor(s)
		return f
	})
	s, err := New(Config{Addr: "127.0.0.1:0"}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	src := newSource(s, "cam0")
	s.sources["cam0"], s.order = src, []string{"cam0"}
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	src.addViewer(ctx, &wg, newViewer(s, src, "v"))
	bgr := make([]byte, 3*32*32)
	s.PublishFrame("cam0", 0, time.Now(), 32, 32, bgr)
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("encoder never started")
	}
	for i := 1; i < 20; i++ {
		s.PublishFrame("cam0", uint64(i), time.Now(), 32, 32, bgr)
	}
	if d := src.dropped.Load(); d != 18 {
		t.Errorf("dropped %d, want 18 (one frame in the encoder, the newest waiting)", d)
	}
	src.mu.Lock()
	pendingSeq := src.pending.seq
	src.mu.Unlock()
	if pendingSeq != 19 {
		t.Errorf("waiting frame is %d, want the newest (19)", pendingSeq)
	}
	// Bad frames are refused without touching the queue.
	s.PublishFrame("cam0", 99, time.Now(), 32, 32, bgr[:10])
	if d := src.dropped.Load(); d != 18 {
		t.Errorf("a bad frame changed the queue (dropped %d)", d)
	}
	close(gate)
	cancel()
	wg.Wait()
	s.Close()
}

// TestEventsNeverBlock: a viewer that never reads its events drops the overflow.
func TestEventsNeverBlock(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:0"}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	src := newSource(s, "cam0")
	v := newViewer(s, src, "v")
	s.viewers[v.id] = v // registered without its writer: nothing drains it
	for i := 0; i < viewerEventQueue+50; i++ {
		s.PublishEvent([]byte(`{"type":"anomalies","source":"cam0"}`))
	}
	if d := v.droppedEvents.Load(); d != 50 {
		t.Errorf("dropped %d events, want 50", d)
	}
	delete(s.viewers, v.id)
}

func TestKeyOnPLIPacing(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	src := newSource(s, "cam0")
	t0 := time.Unix(1000, 0)
	cases := []struct {
		name    string
		lastKey time.Time
		want    bool
	}{
		{"never a key", time.Time{}, true},
		{"key just sent", t0.Add(-10 * time.Millisecond), false},
		{"key long ago", t0.Add(-pliKeyGap), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src.forceKey.Store(false)
			src.lastKey.Store(0)
			if !c.lastKey.IsZero() {
				src.lastKey.Store(c.lastKey.UnixNano())
			}
			src.keyOnPLI(t0)
			if got := src.forceKey.Load(); got != c.want {
				t.Fatalf("forceKey = %v, want %v", got, c.want)
			}
		})
	}
}
