package stream

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fuzzToken guards the fuzzed server; no response may ever contain it.
const fuzzToken = "fuzz-s3cret"

// browserOffer is a compact offer shaped like Chromium's (recvonly VP8 video with RTX, then the
// events data channel), with CRLF line ends as on the wire.
var browserOffer = strings.ReplaceAll(`v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1
a=extmap-allow-mixed
a=msid-semantic: WMS
m=video 9 UDP/TLS/RTP/SAVPF 96 97
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0
a=ice-ufrag:Wd3s
a=ice-pwd:0123456789abcdefghijklmn
a=ice-options:trickle
a=fingerprint:sha-256 3C:FF:D6:8E:40:89:53:B4:9C:C5:BA:22:F6:FE:F3:78:6F:81:B5:4E:38:C8:37:46:B3:95:5B:D8:6C:DE:F1:55
a=setup:actpass
a=mid:0
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=recvonly
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=ice-ufrag:Wd3s
a=ice-pwd:0123456789abcdefghijklmn
a=ice-options:trickle
a=fingerprint:sha-256 3C:FF:D6:8E:40:89:53:B4:9C:C5:BA:22:F6:FE:F3:78:6F:81:B5:4E:38:C8:37:46:B3:95:5B:D8:6C:DE:F1:55
a=setup:actpass
a=mid:1
a=sctp-port:5000
a=max-message-size:262144
`, "\n", "\r\n")

// offerSeeds are the fuzz target's seed corpus: the browser's offer, offers that must be
// refused (no video to send to, rejected or odd m-lines), and bodies that are not SDP at all.
func offerSeeds() []string {
	head, app, _ := strings.Cut(browserOffer, "m=application")
	app = "m=application" + app
	return []string{
		browserOffer,
		head, // video only, no data channel
		strings.Replace(browserOffer, "a=recvonly", "a=sendrecv", 1),
		strings.Replace(browserOffer, "a=recvonly", "a=sendonly", 1),
		strings.Replace(browserOffer, "a=recvonly", "a=inactive", 1),
		strings.Replace(browserOffer, "t=0 0\r\n", "t=0 0\r\na=inactive\r\n", 1),
		strings.Replace(browserOffer, "m=video 9", "m=video 0", 1),
		strings.Replace(browserOffer, "m=video 9", "m=audio 9", 1),
		strings.ReplaceAll(browserOffer, "VP8/90000", "H264/90000"),
		strings.ReplaceAll(browserOffer, "a=rtpmap:96 VP8/90000", "a=rtpmap:98 VP8/90000"), // VP8 not among the formats
		strings.Replace(browserOffer, "a=fingerprint", "a=x-fingerprint", -1),
		strings.Replace(browserOffer, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0 0 1", 1),
		head + strings.TrimPrefix(head, "v=0"),      // two session sections
		strings.SplitN(head, "m=video", 2)[0] + app, // data channel only
		strings.Replace(browserOffer, "m=video 9 UDP/TLS/RTP/SAVPF 96 97", "m=video 9 UDP/TLS/RTP/SAVPF", 1),
		"", "v=0\r\n", "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n",
		"\x00\xff", strings.Repeat("a=x\r\n", 100), "m=video 9 RTP/AVP 96\na=rtpmap:96 VP8/90000\n",
	}
}

// TestBrowserOfferAccepted: the fuzz corpus's browser-shaped offer is answered with VP8 video
// (so the fuzzer starts from an offer that reaches the whole of connect).
func TestBrowserOfferAccepted(t *testing.T) {
	s := startServer(t, Config{})
	s.PublishFrame("cam0", 0, time.Now(), 16, 16, make([]byte, 3*16*16))
	code, body := postOffer(t, s, browserOffer)
	if code != http.StatusCreated || !strings.Contains(body, "VP8/90000") || !strings.Contains(body, "a=sendonly") {
		t.Fatalf("%d %q, want 201 with a sendonly VP8 answer", code, body)
	}
}

// FuzzWHEPOffer feeds arbitrary bodies to POST /whep through the whole HTTP surface (token,
// Host check, offer check, slots, pion): never a panic; only 201 (with an answer and a
// resource that DELETE ends), 400 or 413; never the token in a response; and once the request
// is over no viewer and no reserved slot is left behind.
// Run longer with: go test -run '^$' -fuzz FuzzWHEPOffer -fuzztime 60s ./stream/
func FuzzWHEPOffer(f *testing.F) {
	for _, seed := range offerSeeds() {
		f.Add(seed)
	}
	s, err := New(Config{Addr: "127.0.0.1:0", Token: fuzzToken, MaxViewers: 64}, nil)
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	s.PublishFrame("cam0", 0, time.Now(), 16, 16, make([]byte, 3*16*16))
	h := s.routes()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/whep", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/sdp")
		req.Header.Set("Authorization", "bearer "+fuzzToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if strings.Contains(rec.Body.String(), fuzzToken) {
			t.Fatalf("response holds the token: %q", rec.Body)
		}
		switch rec.Code {
		case http.StatusCreated:
			if !strings.Contains(rec.Body.String(), "VP8/90000") {
				t.Errorf("201 without VP8 in the answer for %q:\n%s", body, rec.Body)
			}
			loc := rec.Header().Get("Location")
			del := httptest.NewRequest(http.MethodDelete, "http://127.0.0.1"+loc, nil)
			del.Header.Set("Authorization", "Bearer "+fuzzToken)
			drec := httptest.NewRecorder()
			h.ServeHTTP(drec, del)
			if drec.Code != http.StatusOK {
				t.Fatalf("DELETE %s: %d %s", loc, drec.Code, drec.Body)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		s.mu.Lock()
		n, answering := len(s.viewers), s.answering
		s.mu.Unlock()
		if n != 0 || answering != 0 {
			t.Fatalf("%d viewers and %d reserved slots left after %q", n, answering, body)
		}
	})
}
