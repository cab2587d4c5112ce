package stream

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// testLog shows the server's log with -v only when a test fails.
func testLog(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.DiscardHandler)
}

// startServer runs a server on a free loopback port until the test ends.
func startServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s, err := New(cfg, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return within 10 s of cancel")
		}
	})
	return s
}

// pattern paints a moving test picture (bars that slide by 4 px per frame) into bgr.
func pattern(bgr []byte, w, h int, i int) {
	row := bgr[:3*w]
	for x := 0; x < w; x++ {
		c := byte(((x + 4*i) / 32 % 8) * 32)
		row[3*x], row[3*x+1], row[3*x+2] = c, 255-c, byte(x*255/w)
	}
	for r := 1; r < h; r++ {
		copy(bgr[3*w*r:3*w*(r+1)], row)
	}
	// A square that moves down gives vertical motion too.
	y0 := (8 * i) % h
	for r := y0; r < min(y0+32, h); r++ {
		for x := w / 2; x < min(w/2+32, w); x++ {
			o := 3 * (r*w + x)
			bgr[o], bgr[o+1], bgr[o+2] = 255, 255, 255
		}
	}
}

// feeder publishes frames at fps until ctx ends, recording each seq's capture time.
type feeder struct {
	mu       sync.Mutex
	captured map[uint64]time.Time
	n        atomic.Uint64
}

func feed(ctx context.Context, s *Server, source string, w, h, fps int) *feeder {
	f := &feeder{captured: map[uint64]time.Time{}}
	go func() {
		bgr := make([]byte, 3*w*h)
		tick := time.NewTicker(time.Second / time.Duration(fps))
		defer tick.Stop()
		for i := 0; ; i++ {
			pattern(bgr, w, h, i)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			now := time.Now()
			f.mu.Lock()
			f.captured[uint64(i)] = now
			f.mu.Unlock()
			s.PublishFrame(source, uint64(i), now, w, h, bgr)
			f.n.Add(1)
		}
	}()
	return f
}

// goViewer is a pion peer acting as a WHEP player.
type goViewer struct {
	pc       *webrtc.PeerConnection
	location string
	packets  atomic.Uint64
	msgs     chan string
	open     chan struct{}
}

// dialWHEP connects a Go WHEP player to url (the server's /whep, with ?source= if needed).
func dialWHEP(t testing.TB, base, token, source string) (*goViewer, error) {
	t.Helper()
	return dialWHEPWith(t, base, dialOptions{token: token, source: source})
}

// dialOptions vary the Go WHEP player.
type dialOptions struct {
	token, source string
	videoOnly     bool               // offer no data channel, as a plain WHEP player does
	headers       map[string]string  // extra request headers (Origin)
	res           **http.Response    // when set, receives the answer's response (body consumed)
	relayVia      []webrtc.ICEServer // when set, the player connects through these TURN servers only
}

// dialWHEPWith is dialWHEP with options.
func dialWHEPWith(t testing.TB, base string, o dialOptions) (*goViewer, error) {
	t.Helper()
	token, source := o.token, o.source
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se))
	pcCfg := webrtc.Configuration{}
	if len(o.relayVia) > 0 {
		pcCfg.ICEServers, pcCfg.ICETransportPolicy = o.relayVia, webrtc.ICETransportPolicyRelay
	}
	pc, err := api.NewPeerConnection(pcCfg)
	if err != nil {
		return nil, err
	}
	v := &goViewer{pc: pc, msgs: make(chan string, 1024), open: make(chan struct{})}
	t.Cleanup(func() { _ = pc.Close() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return nil, err
	}
	if !o.videoOnly {
		dc, err := pc.CreateDataChannel("events", nil)
		if err != nil {
			return nil, err
		}
		dc.OnOpen(func() { close(v.open) })
		dc.OnMessage(func(m webrtc.DataChannelMessage) {
			select {
			case v.msgs <- string(m.Data):
			default:
			}
		})
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if !strings.EqualFold(tr.Codec().MimeType, webrtc.MimeTypeVP8) {
			t.Errorf("track codec %s, want VP8", tr.Codec().MimeType)
		}
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			v.packets.Add(1)
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return nil, err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return nil, err
	}
	<-gathered
	u := strings.TrimSuffix(base, "/") + "/whep"
	if source != "" {
		u += "?source=" + source
	}
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(pc.LocalDescription().SDP))
	req.Header.Set("Content-Type", "application/sdp")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, val := range o.headers {
		req.Header.Set(k, val)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if o.res != nil {
		*o.res = res
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		return nil, &httpError{res.StatusCode, strings.TrimSpace(string(body))}
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/sdp" {
		t.Errorf("answer Content-Type %q, want application/sdp", ct)
	}
	v.location = res.Header.Get("Location")
	if !strings.HasPrefix(v.location, "/whep/") {
		t.Errorf("Location %q, want /whep/<id>", v.location)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(body)}); err != nil {
		return nil, err
	}
	return v, nil
}

// httpError is a non-201 answer from /whep.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return http.StatusText(e.code) + ": " + e.msg }

func statusOf(err error) int {
	var he *httpError
	if errors.As(err, &he) {
		return he.code
	}
	return 0
}

// waitFor polls cond every 20 ms until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eventType returns the "type" of an event message.
func eventType(msg string) string {
	var h eventHead
	_ = json.Unmarshal([]byte(msg), &h)
	return h.Type
}

// requireEncoder skips a test that needs real VP8 when the binary has none (CGO_ENABLED=0).
func requireEncoder(tb testing.TB) {
	tb.Helper()
	enc, err := newEncoder(encoderSettings{W: 64, H: 64, FPS: 30, BitrateKbps: 500})
	if errors.Is(err, ErrNoEncoder) {
		tb.Skipf("needs the VP8 encoder: %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	enc.Close()
}

// syncWaitGroup wraps sync.WaitGroup for tests that start source goroutines by hand.
type syncWaitGroup struct{ sync.WaitGroup }
