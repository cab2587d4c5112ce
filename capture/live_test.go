package capture

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/metaood/metaood/frame"
)

// fakeDev yields left frames then fails (a camera unplugged), or blocks until block is closed.
type fakeDev struct {
	src    *base
	left   int // -1 = endless
	block  chan struct{}
	closed *atomic.Int32
}

func (d *fakeDev) next() (*frame.Frame, error) {
	if d.block != nil {
		<-d.block
		return nil, errors.New("unblocked")
	}
	if d.left == 0 {
		return nil, errors.New("camera unplugged")
	}
	d.left--
	time.Sleep(time.Millisecond)
	f := d.src.newFrame(4, 2)
	return f, nil
}

func (d *fakeDev) close() { d.closed.Add(1) }

// fakeLive is a live source whose opens follow script: n ≥ 0 frames then failure, -1 endless,
// -2 a failed open, -3 a read that blocks until release is closed. Past the script: endless.
func fakeLive(t *testing.T, opts Options, script ...int) (*liveSource, *atomic.Int32, chan struct{}) {
	t.Helper()
	opts.Backoff, opts.MaxBackoff = time.Millisecond, 4*time.Millisecond
	opts, err := opts.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	b := &base{id: "fake", live: true, opts: opts, counters: newCounters(nil, "fake"), log: logOrDiscard(nil)}
	var closed atomic.Int32
	release := make(chan struct{})
	var mu sync.Mutex
	k := 0
	open := func() (device, error) {
		mu.Lock()
		defer mu.Unlock()
		step := -1
		if k < len(script) {
			step = script[k]
		}
		k++
		switch step {
		case -2:
			return nil, fmt.Errorf("%w: fake camera: not found", ErrOpen)
		case -3:
			return &fakeDev{src: b, block: release, closed: &closed}, nil
		}
		return &fakeDev{src: b, left: step, closed: &closed}, nil
	}
	return &liveSource{base: b, what: "fake camera", open: open, grace: 50 * time.Millisecond}, &closed, release
}

func TestLiveReconnectsWithBackoff(t *testing.T) {
	var log stateLog
	src, closed, _ := fakeLive(t, Options{OnState: log.on}, 3, -2, -2, 3, -1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan *frame.Frame, 64)
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx, out) }()
	var got []*frame.Frame
	deadline := time.After(20 * time.Second)
	for len(got) < 10 {
		select {
		case f := <-out:
			got = append(got, f)
		case <-deadline:
			t.Fatalf("only %d frames", len(got))
		}
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
	for len(out) > 0 {
		got = append(got, <-out)
	}
	states, details := log.get()
	want := []string{StateOpened, StateLost, StateReconnected, StateLost, StateReconnected, StateEnded}
	if !slices.Equal(states, want) {
		t.Fatalf("states %v, want %v", states, want)
	}
	if !strings.Contains(details[1], "camera unplugged after 3 frames") {
		t.Errorf("lost detail %q", details[1])
	}
	st := src.Stats()
	if st.Reconnects != 2 || st.Errors != 4 || st.Frames != uint64(len(got))+st.Dropped {
		t.Errorf("stats %+v with %d delivered; want 2 reconnects, 4 errors, frames = delivered + dropped", st, len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq <= got[i-1].Seq {
			t.Fatalf("seq not increasing at %d: %d after %d", i, got[i].Seq, got[i-1].Seq)
		}
	}
	if n := closed.Load(); n != 3 {
		t.Errorf("%d devices closed, want 3", n)
	}
}

func TestLiveFirstOpen(t *testing.T) {
	t.Run("fails without WaitFirst", func(t *testing.T) {
		src, _, _ := fakeLive(t, Options{}, -2)
		err := src.Run(context.Background(), make(chan *frame.Frame, 1))
		if !errors.Is(err, ErrOpen) {
			t.Fatalf("Run = %v, want ErrOpen", err)
		}
	})
	t.Run("retries with WaitFirst", func(t *testing.T) {
		var log stateLog
		src, _, _ := fakeLive(t, Options{WaitFirst: true, OnState: log.on, Limit: 2}, -2, -2, -2, 5)
		frames, err := collect(t, src)
		if err != nil || len(frames)+int(src.Stats().Dropped) != 2 {
			t.Fatalf("Run = %v with %d frames", err, len(frames))
		}
		if states, _ := log.get(); !slices.Equal(states, []string{StateLost, StateOpened, StateEnded}) {
			t.Errorf("states %v", states)
		}
	})
}

// A read blocked at shutdown does not hold Run; the device is closed once the read returns.
func TestLiveBlockedReadAtShutdown(t *testing.T) {
	src, closed, release := fakeLive(t, Options{}, -3)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx, make(chan *frame.Frame, 1)) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run blocked by a stuck read")
	}
	close(release)
	for start := time.Now(); closed.Load() != 1; time.Sleep(5 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("device never closed")
		}
	}
}

func TestCameraAbsent(t *testing.T) {
	for _, spec := range []string{"cam:/dev/video97", "/dev/video98"} {
		src, err := Open(spec, Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = src.Run(context.Background(), make(chan *frame.Frame, 1))
		if !errors.Is(err, ErrOpen) || !strings.Contains(err.Error(), "camera /dev/video9") {
			t.Errorf("%s: Run = %v, want ErrOpen naming the camera", spec, err)
		}
	}
}

func TestGStreamerBadPipeline(t *testing.T) {
	src, err := Open("gst:nosuchelement0 ! appsink", Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Run(context.Background(), make(chan *frame.Frame, 1)); !errors.Is(err, ErrOpen) || !strings.Contains(err.Error(), "GStreamer") {
		t.Errorf("Run = %v, want ErrOpen about the GStreamer pipeline", err)
	}
}

// A network source through OpenCV's FFMPEG backend: a clip served over HTTP on loopback. When
// the stream ends the source reconnects and reads it again.
func TestURLSourceReconnects(t *testing.T) {
	dir := t.TempDir()
	writeVideo(t, dir, "clip.avi", 8, 64, 48, 25)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	var log stateLog
	src, err := Open(srv.URL+"/clip.avi", Options{OnState: log.on, Backoff: 5 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan *frame.Frame, 64)
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx, out) }()
	n := 0
	deadline := time.After(30 * time.Second)
	for src.(StatsSource).Stats().Reconnects == 0 || n < 2 {
		select {
		case f := <-out:
			if f.W != 64 || f.H != 48 {
				t.Fatalf("frame %dx%d", f.W, f.H)
			}
			n++
		case err := <-errc:
			t.Fatalf("Run ended: %v", err)
		case <-deadline:
			t.Fatalf("no reconnect after %d frames", n)
		}
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	states, _ := log.get()
	if len(states) < 3 || states[0] != StateOpened || !slices.Contains(states, StateReconnected) {
		t.Errorf("states %v", states)
	}
	if fps := src.(interface{ FPS() float64 }).FPS(); fps != 25 {
		t.Errorf("FPS %v, want the stream's 25", fps)
	}
	if id := src.ID(); id != strings.TrimPrefix(srv.URL, "http://")+"/clip.avi" {
		t.Errorf("id %q", id)
	}
}
