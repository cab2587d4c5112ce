package stream

// WHEP interop and deployment: CORS for players on other origins, video-only players, one UDP
// port for every viewer, ICE servers handed to players, health and readiness probes.

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"
)

const playerOrigin = "http://player.example:3000"

// preflight sends a CORS preflight for method from origin (no token: browsers never send one).
func preflight(t *testing.T, s *Server, path, origin, method string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodOptions, baseURL(s)+path, nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", method)
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// TestCORSPreflightBeforeToken: the preflight of an allowed origin is answered without the token
// (204 and the CORS headers); the request itself still needs the token; another origin is refused.
func TestCORSPreflightBeforeToken(t *testing.T) {
	s := startServer(t, Config{Token: "tk", AllowOrigins: []string{playerOrigin}})
	res := preflight(t, s, "/whep", playerOrigin, "POST")
	want := map[string]string{
		"Access-Control-Allow-Origin":  playerOrigin,
		"Access-Control-Allow-Methods": "POST, PATCH, DELETE, OPTIONS",
		"Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match",
		"Vary":                         "Origin",
	}
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("preflight without token: %s, want 204", res.Status)
	}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("preflight %s = %q, want %q", k, got, v)
		}
	}
	if res := preflight(t, s, "/whep/abc", playerOrigin, "DELETE"); res.StatusCode != http.StatusNoContent {
		t.Errorf("preflight of DELETE on a session: %s", res.Status)
	}

	res = preflight(t, s, "/whep", "http://evil.example", "POST")
	if res.StatusCode != http.StatusForbidden || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %s with Allow-Origin %q, want 403 without", res.Status, res.Header.Get("Access-Control-Allow-Origin"))
	}
	if n := testutil.ToFloat64(s.m.rejected.WithLabelValues("origin")); n != 1 {
		t.Errorf("refused preflights counted %v, want 1", n)
	}

	// The request itself: no token, 401 (readable by the player: it carries Allow-Origin).
	code, _ := get(t, "POST", baseURL(s)+"/whep", "", map[string]string{"Origin": playerOrigin, "Content-Type": "application/sdp"}, "v=0")
	if code != http.StatusUnauthorized {
		t.Errorf("POST from the allowed origin without token: %d, want 401", code)
	}
	// With the token: 201, and the player may read Location.
	s.PublishFrame("cam0", 0, time.Now(), 64, 64, make([]byte, 3*64*64))
	var ans *http.Response
	if _, err := dialWHEPWith(t, baseURL(s), dialOptions{token: "tk", headers: map[string]string{"Origin": playerOrigin}, res: &ans}); err != nil {
		t.Fatalf("offer from the allowed origin with the token: %v", err)
	}
	if ans.Header.Get("Access-Control-Allow-Origin") != playerOrigin || !strings.Contains(ans.Header.Get("Access-Control-Expose-Headers"), "Location") {
		t.Errorf("answer's CORS headers %v: want Allow-Origin %s and Location exposed", ans.Header, playerOrigin)
	}
}

// TestCORSDefaultsAndWildcard: with no allowed origins, cross-origin preflights are refused (no
// other web page may read a loopback viewer); "*" works without a token and is refused with one.
func TestCORSDefaultsAndWildcard(t *testing.T) {
	s := startServer(t, Config{})
	if res := preflight(t, s, "/whep", playerOrigin, "POST"); res.StatusCode != http.StatusForbidden || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight with no allowed origins: %s %v, want 403 without Allow-Origin", res.Status, res.Header)
	}
	code, _ := get(t, "GET", baseURL(s)+"/sources", "", map[string]string{"Origin": playerOrigin}, "")
	if code != http.StatusOK {
		t.Errorf("same request without CORS: %d", code) // served; the browser keeps it from the page
	}

	s = startServer(t, Config{AllowOrigins: []string{"*"}})
	res := preflight(t, s, "/whep", "http://anything.example", "POST")
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != "*" || res.Header.Get("Vary") != "" {
		t.Errorf("wildcard preflight: %s %v, want 204 with Allow-Origin * and no Vary", res.Status, res.Header)
	}

	_, err := New(Config{Addr: "127.0.0.1:0", Token: "tk", AllowOrigins: []string{"*"}}, nil)
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "origin") {
		t.Errorf("* with a token: %v, want ErrConfig about the origin", err)
	}
	_, err = New(Config{Addr: "127.0.0.1:0", AllowOrigins: []string{"player.example"}}, nil)
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "scheme://host") {
		t.Errorf("origin without scheme: %v, want ErrConfig saying the shape", err)
	}
}

// TestVideoOnlyOffer: a WHEP player offering video and no data channel plays; it is sent no
// events, so none are queued or counted as dropped for it.
func TestVideoOnlyOffer(t *testing.T) {
	requireEncoder(t)
	s := startServer(t, Config{})
	stop := make(chan struct{})
	defer close(stop)
	go publishPattern(s, "cam0", stop)
	waitFor(t, "the first frame", 5*time.Second, func() bool { return s.ready.Load() })
	v, err := dialWHEPWith(t, baseURL(s), dialOptions{videoOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(v.pc.LocalDescription().SDP, "m=application") {
		t.Fatal("the test player offered a data channel")
	}
	for range viewerEventQueue + 10 {
		s.PublishEvent([]byte(`{"type":"anomalies","source":"cam0"}`))
	}
	waitFor(t, "video packets at the video-only player", 10*time.Second, func() bool { return v.packets.Load() > 30 })
	if d := testutil.ToFloat64(s.m.eventsDropped); d != 0 {
		t.Errorf("%v events counted dropped for a viewer that asked for none", d)
	}
}

// publishPattern publishes a 160×96 moving pattern at 30 fps until stop closes.
func publishPattern(s *Server, name string, stop <-chan struct{}) {
	const w, h = 160, 96
	bgr := make([]byte, 3*w*h)
	tick := time.NewTicker(time.Second / 30)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		pattern(bgr, w, h, i)
		s.PublishFrame(name, uint64(i), time.Now(), w, h, bgr)
	}
}

// freeUDPPort returns a UDP port free a moment ago on 127.0.0.1.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// TestSharedUDPPort: with UDPPort set, two viewers' media flow through that one port (the
// selected candidate pair's local port on the server, the remote one at each player), and
// closing the server frees it.
func TestSharedUDPPort(t *testing.T) {
	requireEncoder(t)
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) }) // first registered: runs after the players close
	port := freeUDPPort(t)
	s, err := New(Config{Addr: "127.0.0.1:0", UDPPort: port}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Addr: "127.0.0.1:0", UDPPort: port}, nil); !errors.Is(err, ErrListen) || !strings.Contains(err.Error(), "UDP port") {
		t.Errorf("a second server on the same UDP port: %v, want ErrListen naming the UDP port", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	stop := make(chan struct{})
	go publishPattern(s, "cam0", stop)
	waitFor(t, "the first frame", 5*time.Second, func() bool { return s.ready.Load() })
	var players []*goViewer
	for i := range 2 {
		v, err := dialWHEP(t, baseURL(s), "", "")
		if err != nil {
			t.Fatalf("viewer %d: %v", i, err)
		}
		players = append(players, v)
	}
	for i, v := range players {
		waitFor(t, "video packets", 10*time.Second, func() bool { return v.packets.Load() > 10 })
		pair, err := v.pc.GetReceivers()[0].Transport().ICETransport().GetSelectedCandidatePair()
		if err != nil || pair == nil {
			t.Fatalf("viewer %d: no selected pair: %v", i, err)
		}
		if int(pair.Remote.Port) != port {
			t.Errorf("viewer %d: media from the server's port %d, want %d", i, pair.Remote.Port, port)
		}
	}
	s.mu.Lock()
	var vs []*viewer
	for _, v := range s.viewers {
		vs = append(vs, v)
	}
	s.mu.Unlock()
	if len(vs) != 2 {
		t.Fatalf("%d viewers on the server, want 2", len(vs))
	}
	for _, v := range vs {
		pair, err := v.sender.Transport().ICETransport().GetSelectedCandidatePair()
		if err != nil || pair == nil || int(pair.Local.Port) != port {
			t.Errorf("server side of viewer %s: pair %v (%v), want local port %d", v.id, pair, err, port)
		}
	}
	close(stop)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatalf("UDP port %d still taken after the server closed: %v", port, err)
	}
	c.Close()
}

// TestPublicIPsAdvertised: a public IP appears among the answer's candidates on the shared port,
// beside the local ones; public IPs on a loopback-only viewer are refused.
func TestPublicIPsAdvertised(t *testing.T) {
	port := freeUDPPort(t)
	s := startServer(t, Config{Addr: "127.0.0.1:0", AllowPublic: true, Token: "tk", UDPPort: port, PublicIPs: []string{"203.0.113.7"}})
	s.PublishFrame("cam0", 0, time.Now(), 64, 64, make([]byte, 3*64*64))
	code, answer := get(t, "POST", baseURL(s)+"/whep", "", map[string]string{"Content-Type": "application/sdp", "Authorization": "Bearer tk"},
		offerSDP(t, true, recvVideo))
	if code != http.StatusCreated {
		t.Fatalf("offer: %d %s", code, answer)
	}
	for _, want := range []string{" 203.0.113.7 " + strconv.Itoa(port) + " typ host", " 127.0.0.1 " + strconv.Itoa(port) + " typ host"} {
		if !strings.Contains(answer, want) {
			t.Errorf("answer lacks the candidate %q:\n%s", want, answer)
		}
	}
	if _, err := New(Config{Addr: "127.0.0.1:0", PublicIPs: []string{"203.0.113.7"}}, nil); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("public IPs on a loopback viewer: %v, want ErrConfig", err)
	}
	if _, err := New(Config{Addr: "127.0.0.1:0", AllowPublic: true, Token: "t", PublicIPs: []string{"rig.example"}}, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("a host name as public IP: %v, want ErrConfig", err)
	}
}

// TestICEServersGiven: the page gets the STUN/TURN servers from /config (behind the token), a
// WHEP player in the answer's Link headers (RFC 9725 §4.6); the TURN password appears in no log.
func TestICEServersGiven(t *testing.T) {
	servers := []string{"stun:127.0.0.1:3478", "turn:alice:s3cret@127.0.0.1:3478?transport=udp"}
	s := startServer(t, Config{Token: "tk", ICEServers: servers})
	if code, _ := get(t, "GET", baseURL(s)+"/config", "", nil, ""); code != http.StatusUnauthorized {
		t.Errorf("/config without token: %d, want 401", code)
	}
	code, body := get(t, "GET", baseURL(s)+"/config", "", map[string]string{"Authorization": "Bearer tk"}, "")
	var pc pageConfig
	if err := json.Unmarshal([]byte(body), &pc); code != 200 || err != nil {
		t.Fatalf("/config: %d %q %v", code, body, err)
	}
	want := []iceServerJSON{{URLs: []string{"stun:127.0.0.1:3478"}},
		{URLs: []string{"turn:127.0.0.1:3478?transport=udp"}, Username: "alice", Credential: "s3cret"}}
	if len(pc.ICEServers) != 2 || pc.ICEServers[0].URLs[0] != want[0].URLs[0] || pc.ICEServers[1].URLs[0] != want[1].URLs[0] ||
		pc.ICEServers[1].Username != "alice" || pc.ICEServers[1].Credential != "s3cret" {
		t.Errorf("/config ICE servers %+v, want %+v", pc.ICEServers, want)
	}

	s.PublishFrame("cam0", 0, time.Now(), 64, 64, make([]byte, 3*64*64))
	var ans *http.Response
	// The STUN/TURN address answers nothing, so gathering never completes: the answer comes
	// anyway, with the host candidates (it used to be a 400 after the gathering timeout).
	if _, err := dialWHEPWith(t, baseURL(s), dialOptions{token: "tk", res: &ans}); err != nil {
		t.Fatalf("offer with unreachable ICE servers: %v", err)
	}
	links := ans.Header.Values("Link")
	if len(links) != 2 || links[0] != `<stun:127.0.0.1:3478>; rel="ice-server"` ||
		links[1] != `<turn:127.0.0.1:3478?transport=udp>; rel="ice-server"; username="alice"; credential="s3cret"; credential-type="password"` {
		t.Errorf("Link headers %q", links)
	}
}

// TestHealthAndReady: /healthz answers at once and /readyz once a frame has come, without the
// token and whatever the Host, revealing nothing but the state.
func TestHealthAndReady(t *testing.T) {
	const tok = "s3cret-tok"
	s := startServer(t, Config{Token: tok})
	base := baseURL(s)
	check := func(path string, want int, wantBody string) {
		t.Helper()
		for _, host := range []string{"", "probe.example:8080"} {
			code, body := get(t, "GET", base+path, host, nil, "")
			if code != want || body != wantBody || strings.Contains(body, tok) {
				t.Errorf("GET %s (Host %q) = %d %q, want %d %q", path, host, code, body, want, wantBody)
			}
		}
		if code, body := get(t, "HEAD", base+path, "", nil, ""); code != want || body != "" {
			t.Errorf("HEAD %s = %d %q, want %d and no body", path, code, body, want)
		}
	}
	check("/healthz", 200, "ok\n")
	check("/readyz", 503, "not ready: no frame yet\n")
	s.PublishFrame("cam0", 0, time.Now(), 64, 64, make([]byte, 3*64*64))
	check("/readyz", 200, "ready\n")
	if code, _ := get(t, "POST", base+"/healthz", "", nil, ""); code == 200 {
		t.Errorf("POST /healthz answered 200")
	}
}

// startTURN runs a TURN server (pion/turn) on loopback with one user until the test ends and
// returns its port.
func startTURN(t *testing.T, user, pass string) int {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const realm = "metaood-test"
	key := turn.GenerateAuthKey(user, realm, pass)
	srv, err := turn.NewServer(turn.ServerConfig{
		Realm: realm,
		AuthHandler: func(ra *turn.RequestAttributes) (string, []byte, bool) {
			return ra.Username, key, ra.Username == user
		},
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: conn,
			RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{RelayAddress: net.IPv4(127, 0, 0, 1), Address: "127.0.0.1"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return conn.LocalAddr().(*net.UDPAddr).Port
}

// TestTURNRelay: with a TURN server among the ICE servers, the server allocates a relay
// candidate with the given credentials, and a player that may only use relays plays through it.
func TestTURNRelay(t *testing.T) {
	requireEncoder(t)
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	port := startTURN(t, "alice", "s3cret")
	url := "turn:127.0.0.1:" + strconv.Itoa(port) + "?transport=udp"
	s := startServer(t, Config{ICEServers: []string{"turn:alice:s3cret@127.0.0.1:" + strconv.Itoa(port) + "?transport=udp"}})
	stop := make(chan struct{})
	defer close(stop)
	go publishPattern(s, "cam0", stop)
	waitFor(t, "the first frame", 5*time.Second, func() bool { return s.ready.Load() })
	v, err := dialWHEPWith(t, baseURL(s), dialOptions{relayVia: []webrtc.ICEServer{{URLs: []string{url}, Username: "alice", Credential: "s3cret"}}})
	if err != nil {
		t.Fatal(err)
	}
	if sdp := v.pc.RemoteDescription().SDP; !strings.Contains(sdp, "typ relay") {
		t.Errorf("the server's answer has no relay candidate:\n%s", sdp)
	}
	waitFor(t, "video through the relay", 10*time.Second, func() bool { return v.packets.Load() > 10 })
	pair, err := v.pc.GetReceivers()[0].Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Local.Typ != webrtc.ICECandidateTypeRelay {
		t.Errorf("player's selected pair %v (%v), want its relay candidate", pair, err)
	}
}
