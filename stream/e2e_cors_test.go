package stream

// A WHEP player on another web origin, in headless Chromium (in a network namespace, see
// e2e_test.go): its fetches with a bearer token pass the CORS preflight, it plays the video, and
// it ends its session with a cross-origin DELETE. The same player from an origin not allowed is
// stopped by the browser.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/metaood/metaood/internal/browsertest"
)

// corsPlayer is a minimal WHEP player page (video only, no data channel), as a third-party
// player would be; %q are the viewer's base URL and token. window.player reports its progress.
const corsPlayer = `<!doctype html><html><body><video id="v" autoplay muted playsinline></video><script>
"use strict";
const viewer = %q, token = %q;
const R = window.player = { status: 0, frames: 0, error: "", location: "", deleted: 0 };
(async () => {
  try {
    const pc = new RTCPeerConnection();
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = (e) => { document.getElementById("v").srcObject = e.streams[0] || new MediaStream([e.track]); };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((done) => {
      setTimeout(done, 2000);
      pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === "complete") done(); };
      if (pc.iceGatheringState === "complete") done();
    });
    const res = await fetch(viewer + "/whep", { method: "POST", body: pc.localDescription.sdp,
      headers: { "Content-Type": "application/sdp", "Authorization": "Bearer " + token } });
    R.status = res.status;
    R.location = res.headers.get("Location") || "";
    await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
    const poll = setInterval(async () => {
      (await pc.getStats()).forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "video") R.frames = r.framesDecoded || 0; });
      if (R.frames > 10 && !R.deleted) {
        clearInterval(poll);
        const del = await fetch(viewer + R.location, { method: "DELETE", headers: { "Authorization": "Bearer " + token } });
        R.deleted = del.status;
      }
    }, 200);
  } catch (e) { R.error = String(e); }
})();
</script></body></html>`

// playerState is window.player.
type playerState struct {
	Status   int    `json:"status"`
	Frames   int    `json:"frames"`
	Error    string `json:"error"`
	Location string `json:"location"`
	Deleted  int    `json:"deleted"`
}

// servePlayer serves corsPlayer at a new loopback origin until the test ends and returns it.
func servePlayer(t *testing.T, viewer, token string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, corsPlayer, viewer, token)
	}), ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return "http://" + ln.Addr().String()
}

// TestBrowserCrossOriginPlayer: see the file comment.
func TestBrowserCrossOriginPlayer(t *testing.T) {
	if !inNetns(t) {
		return
	}
	const token = "cors-token"
	// The player's origin must be known before the viewer starts: reserve its port first.
	viewerLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	viewerAddr := viewerLn.Addr().String()
	viewerLn.Close()
	allowed := servePlayer(t, "http://"+viewerAddr, token)
	other := servePlayer(t, "http://"+viewerAddr, token)
	s := startServer(t, Config{Addr: viewerAddr, Token: token, AllowOrigins: []string{allowed}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	feed(ctx, s, "cam0", 320, 160, 30)

	bctx, bcancel := browsertest.NewBrowser(t)
	defer bcancel()
	tabs, tcancel := browsertest.OpenTabs(t, bctx, 1, allowed+"/")
	defer tcancel()
	st := waitPlayer(t, tabs[0], "the cross-origin player to play and end its session", func(st playerState) bool {
		return st.Deleted != 0 || st.Error != ""
	})
	if st.Status != http.StatusCreated || st.Location == "" || st.Frames <= 10 || st.Deleted != http.StatusOK || st.Error != "" {
		t.Errorf("player on %s: %+v, want 201 with a readable Location, frames decoded, DELETE 200", allowed, st)
	}
	t.Logf("allowed origin %s: %+v", allowed, st)
	waitFor(t, "the session to end", 5*time.Second, func() bool { return s.viewerCount() == 0 })

	if err := chromedp.Do(tabs[0], chromedp.Navigate(other+"/")); err != nil {
		t.Fatal(err)
	}
	st = waitPlayer(t, tabs[0], "the browser to refuse the other origin", func(st playerState) bool { return st.Error != "" || st.Status != 0 })
	if st.Status != 0 || st.Error == "" {
		t.Errorf("player on %s (not allowed): %+v, want the fetch refused by the browser", other, st)
	}
	t.Logf("other origin %s: %+v", other, st)
	if s.viewerCount() != 0 {
		t.Errorf("an offer from an origin not allowed made a viewer")
	}
	if n := testutil.ToFloat64(s.m.rejected.WithLabelValues("origin")); n < 1 {
		t.Errorf("no preflight refused for the other origin: the fetch failed for another reason")
	}
}

// waitPlayer polls window.player until cond holds; it fails the test after WaitTimeout.
func waitPlayer(t *testing.T, tab context.Context, what string, cond func(playerState) bool) playerState {
	t.Helper()
	deadline := time.Now().Add(browsertest.WaitTimeout)
	for {
		st, err := chromedp.Run(tab, chromedp.Evaluate[playerState](`window.player || {}`))
		if err == nil && cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("never reached %q: player %+v, err %v", what, st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
