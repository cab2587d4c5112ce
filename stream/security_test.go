package stream

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/metaood/metaood/internal/syncbuf"
	"github.com/pion/webrtc/v4"
)

// lockedBuffer is a log destination safe for concurrent writers.
type lockedBuffer = syncbuf.Buffer

// get sends one request to the server at base and returns the status and body.
func get(t *testing.T, method, url, host string, headers map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// baseURL is the server's address without the token.
func baseURL(s *Server) string { return strings.TrimSuffix(strings.Split(s.URL(), "?")[0], "/") }

// TestTokenNeverLeaks: with a token set, no response and no log line carries it. A foreign Host
// without the token gets 401 (the token is checked first), where it used to get a 403 whose body
// held the viewer URL with ?token=.
func TestTokenNeverLeaks(t *testing.T) {
	const tok = "s3cret-tok"
	logs := &lockedBuffer{}
	s, err := New(Config{Addr: "127.0.0.1:0", Token: tok},
		slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	base := baseURL(s)
	for _, c := range []struct {
		name, host, query string
		want              int
	}{
		{"foreign host, no token", "x", "", 401},
		{"foreign host, wrong token", "evil.example:80", "?token=nope", 401},
		{"foreign host, right token", "x", "?token=" + tok, 403},
		{"loopback, no token", "", "", 401},
	} {
		code, body := get(t, "GET", base+"/"+c.query, c.host, nil, "")
		if code != c.want || strings.Contains(body, tok) {
			t.Errorf("%s: %d %q, want %d without the token", c.name, code, body, c.want)
		}
	}
	code, body := get(t, "POST", base+"/whep", "", map[string]string{"Content-Type": "application/sdp", "Authorization": "Bearer " + tok}, "v=0")
	if strings.Contains(body, tok) {
		t.Errorf("offer: %d %q holds the token", code, body)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if l := logs.String(); strings.Contains(l, tok) || !strings.Contains(l, "live viewer") {
		t.Errorf("log holds the token (or lacks the viewer line):\n%s", l)
	}
}

// TestBearerCaseInsensitive: the auth scheme is case-insensitive (RFC 7235 §2.1); another scheme
// or a wrong token is refused.
func TestBearerCaseInsensitive(t *testing.T) {
	s := startServer(t, Config{Token: "tk"})
	for _, c := range []struct {
		auth string
		want int
	}{
		{"Bearer tk", 200}, {"bearer tk", 200}, {"BEARER tk", 200}, {"Bearer  tk", 200},
		{"Basic tk", 401}, {"Bearer tk2", 401}, {"Bearertk", 401}, {"", 401},
	} {
		if code, body := get(t, "GET", baseURL(s)+"/sources", "", map[string]string{"Authorization": c.auth}, ""); code != c.want {
			t.Errorf("Authorization %q: %d %q, want %d", c.auth, code, body, c.want)
		}
	}
}

// offerSDP makes a throwaway peer's offer (never gathered, never connected) with the given
// transceivers (kind/direction) and, when dc, the events data channel.
func offerSDP(t *testing.T, dc bool, tr ...webrtc.RTPTransceiverInit) string {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	for _, init := range tr {
		kind := webrtc.RTPCodecTypeVideo
		if init.SendEncodings != nil { // marks an audio transceiver in these tests
			kind, init.SendEncodings = webrtc.RTPCodecTypeAudio, nil
		}
		if _, err := pc.AddTransceiverFromKind(kind, init); err != nil {
			t.Fatal(err)
		}
	}
	if dc {
		if _, err := pc.CreateDataChannel("events", nil); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return offer.SDP
}

var (
	recvVideo = webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}
	recvAudio = webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly, SendEncodings: []webrtc.RTPEncodingParameters{}}
)

// postOffer POSTs an SDP offer to /whep and returns the status and body.
func postOffer(t *testing.T, s *Server, sdp string) (int, string) {
	t.Helper()
	return get(t, "POST", baseURL(s)+"/whep", "", map[string]string{"Content-Type": "application/sdp"}, sdp)
}

// TestOfferWithoutVideoRefused: an offer with no video m-line this server can send VP8 to
// (audio only, data channel only, video it would only receive, video without VP8) is a 400,
// decided before a viewer slot is taken.
func TestOfferWithoutVideoRefused(t *testing.T) {
	s := startServer(t, Config{MaxViewers: 1})
	s.PublishFrame("cam0", 0, time.Now(), 64, 64, make([]byte, 3*64*64))
	good := offerSDP(t, true, recvVideo)
	bad := map[string]string{
		"audio only":        offerSDP(t, false, recvAudio),
		"data channel only": offerSDP(t, true),
		"video sendonly":    strings.ReplaceAll(good, "a=recvonly", "a=sendonly"),
		"video inactive":    strings.ReplaceAll(good, "a=recvonly", "a=inactive"),
		"video port 0":      strings.Replace(good, "m=video 9 ", "m=video 0 ", 1),
		"video without VP8": strings.ReplaceAll(good, "VP8/90000", "XYZ/90000"),
	}
	for name, sdp := range bad {
		if code, body := postOffer(t, s, sdp); code != http.StatusBadRequest || !strings.Contains(body, "video") {
			t.Errorf("%s: %d %q, want 400 about video", name, code, body)
		}
		if n := s.viewerCount(); n != 0 {
			t.Fatalf("%s: %d viewers after a refused offer", name, n)
		}
	}
	// The only slot taken by a good offer: a bad one is still a 400, not a 503.
	if code, body := postOffer(t, s, good); code != http.StatusCreated {
		t.Fatalf("good offer: %d %q", code, body)
	}
	if code, body := postOffer(t, s, bad["audio only"]); code != http.StatusBadRequest {
		t.Errorf("audio-only offer with every slot taken: %d %q, want 400", code, body)
	}
}

// TestPendingSlotsCannotSquat: offers that never connect hold at most MaxPending slots (half the
// viewers by default), and only for a few seconds; the rest stay for viewers that connect.
func TestPendingSlotsCannotSquat(t *testing.T) {
	s := startServer(t, Config{MaxViewers: 4})
	s.PublishFrame("cam0", 0, time.Now(), 64, 64, make([]byte, 3*64*64))
	var codes []int
	for range 4 {
		code, _ := postOffer(t, s, offerSDP(t, true, recvVideo))
		codes = append(codes, code)
	}
	if codes[0] != 201 || codes[1] != 201 || codes[2] != 503 || codes[3] != 503 {
		t.Fatalf("4 offers that never connect: %v, want 201 201 503 503", codes)
	}
	start := time.Now()
	waitFor(t, "the pending viewers to be dropped", 8*time.Second, func() bool { return s.viewerCount() == 0 })
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("pending viewers held their slots for %v, want a few seconds", d)
	}
	if code, body := postOffer(t, s, offerSDP(t, true, recvVideo)); code != 201 {
		t.Fatalf("offer after the pending ones expired: %d %q", code, body)
	}
}

// TestConnectTimerRace: the connect timer may fire (and close the viewer) while connect is
// still setting the viewer up; with -race this used to report a race on viewer.connectTimer.
func TestConnectTimerRace(t *testing.T) {
	s := startServer(t, Config{MaxViewers: 64})
	s.connectTimeout = 0 // fires at once, racing connect
	s.PublishFrame("cam0", 0, time.Now(), 64, 64, make([]byte, 3*64*64))
	sdp := offerSDP(t, true, recvVideo)
	stop := make(chan struct{})
	var hammers sync.WaitGroup
	for range 2 { // contend for the server lock, so that the timer often takes it before connect does
		hammers.Add(1)
		go func() {
			defer hammers.Done()
			for {
				select {
				case <-stop:
					return
				default:
					s.viewerCount()
				}
			}
		}()
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				res, err := http.Post(baseURL(s)+"/whep", "application/sdp", strings.NewReader(sdp))
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				if res.StatusCode != 201 && res.StatusCode != 400 && res.StatusCode != 503 {
					t.Errorf("offer: %s", res.Status)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	hammers.Wait()
	waitFor(t, "every viewer dropped", 5*time.Second, func() bool { return s.viewerCount() == 0 })
}
