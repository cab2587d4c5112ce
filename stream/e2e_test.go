package stream

// End-to-end check with a real browser: headless Chromium (Debian's chromium) driven by chromedp
// opens the viewer page twice against a running Server fed with a synthetic moving pattern and
// events. The test re-runs itself inside a network namespace where Chromium can reach loopback
// (internal/browsertest); all traffic stays on loopback inside that namespace.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/metaood/metaood/internal/browsertest"
)

// e2eResult is what one browser run measured.
type e2eResult struct {
	g2g      []float64 // capture → frame presented in the page, ms
	transfer []float64 // capture → last packet received, ms (encode + transport)
	decoded  []int
}

// inNetns skips without the VP8 encoder, then re-runs the test or benchmark in a network
// namespace (browsertest.InNetns); true in the child, which does the work.
func inNetns(tb testing.TB) bool {
	tb.Helper()
	requireEncoder(tb)
	return browsertest.InNetns(tb)
}

// runBrowser streams 1024×512 at 30 fps to `viewers` tabs for `dur`, checks what each tab got,
// and returns the glass-to-glass samples matched by the frame marker.
func runBrowser(tb testing.TB, viewers int, dur time.Duration, screenshot bool) e2eResult {
	const w, h, fps = 1024, 512, 30
	s := startServer(tb, Config{Token: "e2e-token", MaxViewers: 4, FrameMarker: true, BitrateKbps: 2500, FPS: fps})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := feed(ctx, s, "cam0", w, h, fps)
	go func() { // events as the pipeline would send them, a few per second
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			ts := time.Now().UTC().Format(time.RFC3339Nano)
			s.PublishEvent(fmt.Appendf(nil, `{"type":"anomalies","source":"cam0","frame":%d,"capture_ts":%q,"emit_ts":%q,`+
				`"anomalies":[{"id":1,"bbox":[500,300,40,30],"centroid":[520,315],"area":900,"p_fp":0.1,"in_corridor":true}],"rejected":2}`,
				f.n.Load(), ts, ts))
			if i%5 == 0 {
				s.PublishEvent(fmt.Appendf(nil, `{"type":"stats","source":"cam0","frame":%d,"capture_ts":%q,"emit_ts":%q,`+
					`"fps":29.8,"dropped":0,"provider":"cpu","stages":{"infer":{"p50_ms":21.5,"p99_ms":30.1},"postproc":{"p50_ms":6.2,"p99_ms":9.8}}}`,
					f.n.Load(), ts, ts))
			}
		}
	}()

	bctx, bcancel := browsertest.NewBrowser(tb)
	defer bcancel()
	tabs, tcancel := browsertest.OpenTabs(tb, bctx, viewers, s.URL()+"&measure=1")
	defer tcancel()
	for i, tab := range tabs {
		st := browsertest.WaitPage(tb, tab, "decoding video at the stream's size with events", func(st browsertest.PageState) bool {
			return st.FramesDecoded > 0 && st.Width == w && st.Height == h && st.Events > 0
		})
		tb.Logf("tab %d: connected, %d frames decoded at %dx%d, %d events", i, st.FramesDecoded, st.Width, st.Height, st.Events)
	}

	if screenshot {
		ts := time.Now().UTC().Format(time.RFC3339Nano)
		s.PublishEvent(fmt.Appendf(nil, `{"type":"emergency","source":"cam0","frame":%d,"capture_ts":%q,"emit_ts":%q,`+
			`"since_frame":%d,"anomaly":{"id":1,"bbox":[500,300,40,30],"centroid":[520,315],"area":900,"p_fp":0.1,"in_corridor":true}}`,
			f.n.Load(), ts, ts, f.n.Load()-5))
		for _, tab := range tabs {
			browsertest.WaitPage(tb, tab, "emergency banner shown", func(st browsertest.PageState) bool { return st.Emergency })
		}
		time.Sleep(1200 * time.Millisecond) // let the stats tables fill
		p := filepath.Join(browsertest.RepoEvidenceDir(tb), "webrtc_emergency.png")
		browsertest.Screenshot(tb, tabs[0], p)
		tb.Logf("screenshot during the emergency: %s", p)
		s.PublishEvent([]byte(`{"type":"clear","source":"cam0","frame":1,"since_frame":1,"duration_ms":1500}`))
		for _, tab := range tabs {
			browsertest.WaitPage(tb, tab, "emergency banner cleared", func(st browsertest.PageState) bool { return !st.Emergency })
		}
	}

	time.Sleep(dur)
	var res e2eResult
	f.mu.Lock()
	captured := maps(f.captured)
	f.mu.Unlock()
	for i, tab := range tabs {
		st, err := browsertest.State(tab)
		if err != nil {
			tb.Fatalf("tab %d: %v", i, err)
		}
		if st.FramesDecoded == 0 || st.Events == 0 || st.Types["anomalies"] == 0 {
			tb.Errorf("tab %d: decoded %d frames, %d events (%v)", i, st.FramesDecoded, st.Events, st.Types)
		}
		if len(st.Marks) == 0 {
			tb.Errorf("tab %d: no frame marker read from the video", i)
		}
		res.decoded = append(res.decoded, st.FramesDecoded)
		for _, m := range st.Marks {
			c, ok := captured[m.Seq]
			if !ok {
				tb.Errorf("tab %d: marker seq %d was never published", i, m.Seq)
				continue
			}
			cms := float64(c.UnixNano()) / 1e6
			res.g2g = append(res.g2g, m.Shown-cms)
			if m.Received > 0 {
				res.transfer = append(res.transfer, m.Received-cms)
			}
		}
	}
	tb.Logf("published %d frames; decoded per tab %v", f.n.Load(), res.decoded)
	return res
}

func maps(m map[uint64]time.Time) map[uint64]time.Time {
	out := make(map[uint64]time.Time, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// pct returns the p-th percentile (0..100) of xs.
func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(len(s)-1, int(p/100*float64(len(s))))]
}

// TestBrowserE2E: two headless Chromium viewers decode the stream at its size, receive events over
// the data channel, show and clear the emergency banner (screenshot in out/evidence).
func TestBrowserE2E(t *testing.T) {
	if !inNetns(t) {
		return
	}
	res := runBrowser(t, 2, 2*time.Second, true)
	t.Logf("glass-to-glass (capture → presented) ms: p50 %.1f p95 %.1f max %.1f over %d frames; capture → received p50 %.1f",
		pct(res.g2g, 50), pct(res.g2g, 95), pct(res.g2g, 100), len(res.g2g), pct(res.transfer, 50))
	b, _ := json.MarshalIndent(map[string]any{
		"viewers": 2, "size": "1024x512", "fps": 30, "frames_measured": len(res.g2g),
		"g2g_ms_p50": pct(res.g2g, 50), "g2g_ms_p95": pct(res.g2g, 95), "g2g_ms_max": pct(res.g2g, 100),
		"capture_to_received_ms_p50": pct(res.transfer, 50), "decoded_per_viewer": res.decoded,
	}, "", "  ")
	_ = os.WriteFile(filepath.Join(browsertest.RepoEvidenceDir(t), "webrtc_latency.json"), b, 0o644)
}

// BenchmarkGlassToGlass reports capture-to-presented latency in Chromium for one viewer at
// 1024×512, 30 fps, on loopback (runs one 5 s session whatever b.N is).
func BenchmarkGlassToGlass(b *testing.B) {
	if !inNetns(b) {
		return
	}
	res := runBrowser(b, 1, 5*time.Second, false)
	b.ReportMetric(pct(res.g2g, 50), "g2g-p50-ms")
	b.ReportMetric(pct(res.g2g, 95), "g2g-p95-ms")
	b.ReportMetric(pct(res.transfer, 50), "to-recv-p50-ms")
	b.ReportMetric(float64(len(res.g2g)), "frames")
}
