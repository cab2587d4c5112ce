package main

// End-to-end check of the live viewer against the running pipeline: `metaood run --webrtc`
// (runPipeline with the built-in tiny model on a real-time synthetic drive) serves two headless
// Chromium viewers, which must decode the annotated stream at the source's size and receive the
// pipeline's events over the data channel; so must headless Firefox (when installed). With $METAOOD_EVIDENCE_DIR set the test also waits for
// the drive's emergency and saves a screenshot of the page showing the banner there.
// The test re-runs itself in a network namespace (internal/browsertest); all traffic stays on
// loopback inside it.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/metaood/metaood/config"
	"github.com/metaood/metaood/internal/app"
	"github.com/metaood/metaood/internal/browsertest"
	"github.com/metaood/metaood/pipeline"
	"github.com/metaood/metaood/render"
)

// The viewer test's drive: seed 12 at 512×256 raises its emergency at frame 154 (5 s at 30 fps,
// after the viewers have connected) with the default tracker, and clears it at frame 205 (in a
// replay; in real time the dropped frames shift both by a few frames).
const (
	viewerSource       = "synth:seed=12,frames=0,size=512x256"
	viewerW, viewerH   = 512, 256
	viewerToken        = "e2e-token"
	viewerScreenshotAs = "viewer_emergency.png"
)

// TestViewerE2E: `metaood run --webrtc=127.0.0.1:0` on an endless real-time drive; two Chromium
// viewers decode frames at 512×256 and receive anomalies/stats events; cancelling the run (Ctrl-C)
// finalizes the events file and the video.
func TestViewerE2E(t *testing.T) {
	if !browsertest.InNetns(t) {
		return
	}
	evidence := browsertest.EvidenceDir(t)

	c := config.Default()
	c.Sources = []string{viewerSource}
	c.Realtime = true
	c.ROI = config.SynthROI // as the built-in drive gets it: the ego hood is never an anomaly
	c.WebRTC = "127.0.0.1:0"
	c.Token = viewerToken
	c.MaxViewers = 4
	c.Out = t.TempDir()
	c.Video = "annotated.avi"
	c.Stdout = false
	if err := c.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}

	info := &syncBuffer{}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan runResult, 1)
	go func() {
		s, o, err := runPipeline(ctx, c, newLogger("warn", os.Stderr), os.Stdout, info)
		done <- runResult{s, o, err}
	}()
	url := viewerURL(t, info, done)
	t.Logf("viewer: %s", url)

	bctx, bcancel := browsertest.NewBrowser(t)
	defer bcancel()
	tabs, tcancel := browsertest.OpenTabs(t, bctx, 2, url)
	defer tcancel()
	for i, tab := range tabs {
		st := browsertest.WaitPage(t, tab, "decoding the pipeline's video at its size with events", func(st browsertest.PageState) bool {
			return st.FramesDecoded > 0 && st.Width == viewerW && st.Height == viewerH && st.Types["anomalies"]+st.Types["stats"] > 0
		})
		t.Logf("tab %d: %d frames decoded at %dx%d, events %v", i, st.FramesDecoded, st.Width, st.Height, st.Types)
		if st.Error != "" {
			t.Errorf("tab %d: page error %q", i, st.Error)
		}
	}
	t.Run("firefox", func(t *testing.T) { // a second browser, a third viewer
		ff := browsertest.NewFirefox(t)
		if err := ff.Navigate(url); err != nil {
			t.Fatal(err)
		}
		st := browsertest.WaitState(t, ff.State, "Firefox decoding the pipeline's video at its size with events", func(st browsertest.PageState) bool {
			return st.FramesDecoded > 0 && st.Width == viewerW && st.Height == viewerH && st.Types["anomalies"]+st.Types["stats"] > 0
		})
		t.Logf("firefox: %d frames decoded at %dx%d, events %v", st.FramesDecoded, st.Width, st.Height, st.Types)
	})

	if evidence != "" {
		// The banner shows for under 2 s: screenshot it at once, then check it was still up.
		st := browsertest.WaitPage(t, tabs[0], "emergency banner shown", func(st browsertest.PageState) bool { return st.Emergency })
		time.Sleep(300 * time.Millisecond) // let the overlay and the stats table catch up
		p := filepath.Join(evidence, viewerScreenshotAs)
		browsertest.Screenshot(t, tabs[0], p)
		if after, err := browsertest.State(tabs[0]); err != nil || !after.Emergency {
			t.Errorf("the emergency banner cleared while the screenshot %s was taken (state %+v, %v): rerun", p, after, err)
		}
		t.Logf("tab 0: emergency banner with %d frames decoded, events %v; screenshot %s", st.FramesDecoded, st.Types, p)
		st = browsertest.WaitPage(t, tabs[1], "emergency event received", func(st browsertest.PageState) bool { return st.Types["emergency"] > 0 })
		t.Logf("tab 1: emergency event received, events %v", st.Types)
	}

	stop() // Ctrl-C, viewers still connected
	var r runResult
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("run did not stop within 60 s of cancel")
	}
	if r.err != nil || r.s.Frames == 0 {
		t.Fatalf("run: err %v, %d frames", r.err, r.s.Frames)
	}
	t.Logf("run: %d frames, %d dropped, %d emergencies", r.s.Frames, r.s.Dropped, r.s.Emergencies)
	ev, err := os.ReadFile(r.o.Events)
	if err != nil || len(ev) == 0 {
		t.Errorf("events file %s after cancel: %d bytes, %v", r.o.Events, len(ev), err)
	}
	if !strings.Contains(string(ev), `"state":"ended","detail":"stopped"`) {
		t.Errorf("events file %s does not end with the stopped source:\n%.1000s", r.o.Events, ev)
	}
	if evidence != "" && !strings.Contains(string(ev), `"type":"emergency"`) {
		t.Errorf("the page showed an emergency but the events file %s has none", r.o.Events)
	}
	if len(r.o.Videos) != 1 {
		t.Fatalf("videos %v, want one", r.o.Videos)
	}
	if n, w, h, err := render.ReadVideoInfo(r.o.Videos[0]); err != nil || n != int(r.s.Frames) || w != viewerW || h != viewerH {
		t.Errorf("video after cancel: %d frames %dx%d (%v), want %d frames %dx%d", n, w, h, err, r.s.Frames, viewerW, viewerH)
	}
}

// runResult is what runPipeline returned.
type runResult struct {
	s   pipeline.Summary
	o   app.Outputs
	err error
}

// viewerURL waits for the viewer's URL in the run's info lines ("open  <url>"); it fails the
// test if the run ends first or prints none within 30 s. Printed to a buffer, not a terminal,
// the URL has its token redacted: the test puts viewerToken back.
func viewerURL(t *testing.T, info *syncBuffer, done <-chan runResult) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if _, after, ok := strings.Cut(info.String(), "open  "); ok {
			if line, _, ok := strings.Cut(after, "\n"); ok {
				if strings.Contains(line, viewerToken) || !strings.Contains(line, "token=REDACTED") {
					t.Errorf("viewer URL printed to a non-terminal: %q, want the token redacted", line)
				}
				return strings.Replace(strings.TrimSpace(line), "token=REDACTED", "token="+viewerToken, 1)
			}
		}
		select {
		case r := <-done:
			t.Fatalf("run ended before serving the viewer: err %v, %d frames; it printed:\n%s", r.err, r.s.Frames, info.String())
		case <-deadline:
			t.Fatalf("no viewer URL within 30 s; the run printed:\n%s", info.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
