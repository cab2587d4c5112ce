package stream

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestNeverConnectedViewerFreesSlot: a player that takes the answer and never does ICE loses its slot.
func TestNeverConnectedViewerFreesSlot(t *testing.T) {
	s := startServer(t, Config{MaxViewers: 1})
	s.connectTimeout = 300 * time.Millisecond
	s.PublishFrame("cam0", 0, time.Now(), 64, 64, make([]byte, 3*64*64))
	// A throwaway peer makes a real offer; its answer is never applied, so ICE never starts.
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(strings.TrimSuffix(s.URL(), "/")+"/whep", "application/sdp", strings.NewReader(offer.SDP))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("offer: %s", res.Status)
	}
	if n := s.viewerCount(); n != 1 {
		t.Fatalf("%d viewers, want 1", n)
	}
	waitFor(t, "the unconnected viewer to be dropped", 5*time.Second, func() bool { return s.viewerCount() == 0 })
}

// TestSizeChangeRestartsEncoder: a source that changes size gets a new encoder and a keyframe.
func TestSizeChangeRestartsEncoder(t *testing.T) {
	var sizes []encoderSettings
	var forced atomic.Int64
	useFakeEncoder(t, func(s encoderSettings) *fakeEncoder {
		sizes = append(sizes, s) // only the encoder goroutine calls newEncoder
		f := &fakeEncoder{forced: &forced}
		f.y, f.u, f.v = planesFor(s)
		return f
	})
	s, err := New(Config{Addr: "127.0.0.1:0", BitrateKbps: 800, FPS: 25}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	src := newSource(s, "cam0")
	v := newViewer(s, src, "v")
	ctx, cancel := context.WithCancel(context.Background())
	var wg = new(syncWaitGroup)
	src.addViewer(ctx, &wg.WaitGroup, v)
	for i, wh := range [][2]int{{32, 32}, {32, 32}, {48, 16}} {
		src.publish(uint64(i), time.Now(), wh[0], wh[1], make([]byte, 3*wh[0]*wh[1]))
		select {
		case f := <-v.frames:
			if want := i != 1; f.key != want {
				t.Errorf("frame %d (%dx%d): key %v, want %v", i, wh[0], wh[1], f.key, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("frame %d not encoded", i)
		}
	}
	cancel()
	wg.Wait()
	if len(sizes) != 2 || sizes[1].W != 48 || sizes[1].H != 16 || sizes[0].BitrateKbps != 800 || sizes[0].FPS != 25 {
		t.Fatalf("encoders made: %+v, want 32x32 then 48x16 at 800 kbps, 25 fps", sizes)
	}
}

// TestClosedServer: publishing after Close is ignored, Run after Close refuses.
func TestClosedServer(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
	s.PublishFrame("cam0", 0, time.Now(), 16, 16, make([]byte, 3*16*16))
	s.PublishEvent([]byte(`{"type":"clear"}`))
	if err := s.Run(context.Background()); err == nil {
		t.Fatal("Run after Close succeeded")
	}
}

// TestConcurrentOffersRespectLimit: simultaneous offers never exceed MaxViewers.
func TestConcurrentOffersRespectLimit(t *testing.T) {
	s := startServer(t, Config{MaxViewers: 2, MaxPending: 2})
	s.PublishFrame("cam0", 0, time.Now(), 64, 64, make([]byte, 3*64*64))
	const n = 6
	codes := make(chan int, n)
	for i := 0; i < n; i++ {
		go func() {
			_, err := dialWHEP(t, s.URL(), "", "")
			if err == nil {
				codes <- http.StatusCreated
				return
			}
			codes <- statusOf(err)
		}()
	}
	count := map[int]int{}
	for i := 0; i < n; i++ {
		select {
		case c := <-codes:
			count[c]++
		case <-time.After(20 * time.Second):
			t.Fatalf("offers not answered: %v", count)
		}
	}
	if count[http.StatusCreated] != 2 || count[http.StatusServiceUnavailable] != n-2 {
		t.Fatalf("answers %v, want 2 × 201 and %d × 503", count, n-2)
	}
}

// TestCloseWithoutRunFreesPort: a server that never ran releases its port on Close.
func TestCloseWithoutRunFreesPort(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimSuffix(strings.TrimPrefix(s.URL(), "http://"), "/")
	if _, err := New(Config{Addr: addr}, nil); !errors.Is(err, ErrListen) {
		t.Fatalf("second server on %s: %v, want ErrListen", addr, err)
	}
	s.Close()
	s2, err := New(Config{Addr: addr}, nil)
	if err != nil {
		t.Fatalf("port %s still taken after Close: %v", addr, err)
	}
	s2.Close()
}
