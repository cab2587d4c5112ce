package stream

// End-to-end check in a second browser: headless Firefox (Debian's firefox-esr), driven over
// WebDriver BiDi (internal/browsertest), opens the viewer page against a running Server fed with
// a moving pattern and events. Like the Chromium tests it runs in a network namespace of its own
// (internal/browsertest), so that it does not depend on the machine's network; it passes outside
// one too on a machine with a default route.

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/metaood/metaood/internal/browsertest"
)

// TestFirefoxE2E: Firefox decodes the stream at its size (getStats framesDecoded and the frame
// markers it reads from the picture), receives events over the data channel, gets the viewer's
// TURN server from the page (a relay candidate), and shows and clears the emergency banner.
func TestFirefoxE2E(t *testing.T) {
	requireEncoder(t)
	if !browsertest.InNetnsFirefox(t) {
		return
	}
	const w, h, fps = 640, 320, 30
	// A TURN server among the ICE servers: the page must hand it, with its credentials, to Firefox.
	turnURL := "turn:alice:s3cret@127.0.0.1:" + strconv.Itoa(startTURN(t, "alice", "s3cret")) + "?transport=udp"
	s := startServer(t, Config{Token: "e2e-token", FrameMarker: true, FPS: fps, ICEServers: []string{turnURL}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := feed(ctx, s, "cam0", w, h, fps)
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			ts := time.Now().UTC().Format(time.RFC3339Nano)
			s.PublishEvent(fmt.Appendf(nil, `{"type":"anomalies","source":"cam0","frame":%d,"capture_ts":%q,"emit_ts":%q,"anomalies":[],"rejected":0}`,
				f.n.Load(), ts, ts))
		}
	}()

	start := time.Now()
	ff := browsertest.NewFirefox(t)
	t.Logf("firefox up in %v", time.Since(start).Round(time.Millisecond))
	if err := ff.Navigate(s.URL() + "&measure=1"); err != nil {
		t.Fatal(err)
	}
	st := browsertest.WaitState(t, ff.State, "decoding video at the stream's size with events", func(st browsertest.PageState) bool {
		return st.FramesDecoded > 30 && st.Width == w && st.Height == h && st.Types["anomalies"] > 0 && len(st.Marks) > 10
	})
	t.Logf("firefox: %d frames decoded at %dx%d, %d frame markers read, events %v, after %v",
		st.FramesDecoded, st.Width, st.Height, len(st.Marks), st.Types, time.Since(start).Round(time.Millisecond))
	relays, err := ff.Eval(`(async () => { let n = 0; (await tiles[0].pc.getStats()).forEach((r) => {
		if (r.type === "local-candidate" && r.candidateType === "relay") n++; }); return n; })()`)
	if err != nil || relays == "0" {
		t.Errorf("Firefox gathered %s relay candidates (%v): the page did not pass the TURN server on", relays, err)
	}
	t.Logf("firefox: %s relay candidates through the viewer's TURN server", relays)
	f.mu.Lock()
	for _, m := range st.Marks {
		if _, ok := f.captured[m.Seq]; !ok {
			t.Errorf("marker seq %d read in Firefox was never published", m.Seq)
		}
	}
	f.mu.Unlock()

	ts := time.Now().UTC().Format(time.RFC3339Nano)
	s.PublishEvent(fmt.Appendf(nil, `{"type":"emergency","source":"cam0","frame":1,"capture_ts":%q,"emit_ts":%q,"since_frame":1,`+
		`"anomaly":{"id":1,"bbox":[300,200,40,30],"centroid":[320,215],"area":900,"p_fp":0.1,"in_corridor":true}}`, ts, ts))
	browsertest.WaitState(t, ff.State, "emergency banner shown", func(st browsertest.PageState) bool { return st.Emergency })
	if dir := browsertest.EvidenceDir(t); dir != "" {
		p := filepath.Join(dir, "firefox_emergency.png")
		ff.Screenshot(t, p)
		t.Logf("screenshot: %s", p)
	}
	s.PublishEvent([]byte(`{"type":"clear","source":"cam0","frame":2,"since_frame":1,"duration_ms":100}`))
	browsertest.WaitState(t, ff.State, "emergency banner cleared", func(st browsertest.PageState) bool { return !st.Emergency })
	if st.Error != "" {
		t.Errorf("page error %q", st.Error)
	}
}
