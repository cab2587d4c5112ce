package stream

// End-to-end check with a real browser: headless Chromium (Debian's chromium) driven by chromedp
// opens the viewer page twice against a running Server fed with a synthetic moving pattern and
// events. Chromium never offers loopback ICE candidates, so the test re-runs itself inside a
// fresh network namespace (unshare --net) with lo up and a veth pair holding 127.0.0.2/32:
// Chromium then sends its checks from 127.0.0.1 and pion accepts them as peer-reflexive.
// All traffic stays on loopback inside that namespace.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const netnsEnv = "METAOOD_E2E_NETNS" // set in the re-executed child, inside the namespace

// e2eResult is what one browser run measured.
type e2eResult struct {
	g2g      []float64 // capture → frame presented in the page, ms
	transfer []float64 // capture → last packet received, ms (encode + transport)
	decoded  []int
}

// inNetns re-runs the named test or benchmark inside a new network namespace and reports its
// outcome; it returns true when the caller is the child and should do the real work.
func inNetns(tb testing.TB, runFlag, name string) bool {
	tb.Helper()
	requireEncoder(tb)
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("METAOOD_REQUIRE_SHARED") == "1" {
			tb.Fatalf("chromium is required for the browser test (apt-get install chromium): %v", err)
		}
		tb.Skipf("chromium not installed (apt-get install chromium); skipping the browser end-to-end test")
	}
	tb.Logf("browser: %s", chromium)
	if os.Getenv(netnsEnv) == "1" {
		setupNetns(tb)
		return true
	}
	if runtime.GOOS != "linux" {
		tb.Skip("the browser test needs Linux network namespaces")
	}
	args := []string{"--net", os.Args[0], "-test.run=^$", "-test.v", "-test.count=1", "-test.timeout=120s"}
	if runFlag == "run" {
		args[2] = "-test.run=^" + name + "$"
	} else {
		args = append(args, "-test.bench=^"+name+"$", "-test.benchtime=1x")
	}
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		tb.Log(line)
	}
	if b, ok := tb.(*testing.B); ok && err == nil {
		reportChildMetrics(b, string(out))
	}
	if err != nil {
		tb.Fatalf("browser test in a network namespace (unshare --net, needs root or CAP_SYS_ADMIN) failed: %v", err)
	}
	return false
}

// reportChildMetrics copies the "<value> <unit>" pairs of the child's benchmark line (units ending
// in -ms or named frames) to the parent, so `go test -bench` shows them.
func reportChildMetrics(b *testing.B, out string) {
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "ns/op") {
			continue
		}
		f := strings.Fields(line)
		for i := 1; i < len(f); i++ {
			if strings.HasSuffix(f[i], "-ms") || f[i] == "frames" {
				var v float64
				if _, err := fmt.Sscan(f[i-1], &v); err == nil {
					b.ReportMetric(v, f[i])
				}
			}
		}
	}
}

// setupNetns brings lo up and adds the veth pair with 127.0.0.2/32 (see ../shared/docs/FINDINGS.md).
func setupNetns(tb testing.TB) {
	tb.Helper()
	for _, c := range [][]string{
		{"link", "set", "lo", "up"},
		{"link", "add", "veth0", "type", "veth", "peer", "name", "veth1"},
		{"addr", "add", "127.0.0.2/32", "dev", "veth0"},
		{"link", "set", "veth0", "up"},
		{"link", "set", "veth1", "up"},
	} {
		if out, err := exec.Command("ip", c...).CombinedOutput(); err != nil {
			tb.Fatalf("ip %s: %v: %s", strings.Join(c, " "), err, out)
		}
	}
}

// repoOut returns <repo>/out/evidence, creating it.
func repoOut(tb testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "out", "evidence")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

func browser(tb testing.TB) (context.Context, context.CancelFunc) {
	path, _ := exec.LookPath("chromium")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(1500, 950),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	return ctx, func() { cancelCtx(); cancelAlloc() }
}

// pageState is window.metaood as the page keeps it.
type pageState struct {
	Events        int            `json:"events"`
	Types         map[string]int `json:"types"`
	FramesDecoded int            `json:"framesDecoded"`
	Width         int            `json:"width"`
	Height        int            `json:"height"`
	Connected     bool           `json:"connected"`
	Emergency     bool           `json:"emergency"`
	Error         string         `json:"error"`
	Marks         []struct {
		Seq      uint64  `json:"seq"`
		Shown    float64 `json:"shown"`
		Received float64 `json:"received"`
	} `json:"marks"`
}

func state(ctx context.Context) (pageState, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[pageState](`window.metaood || {}`))
}

// waitPage polls a tab until cond holds (20 s at most).
func waitPage(tb testing.TB, ctx context.Context, what string, cond func(pageState) bool) pageState {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := state(ctx)
		if err == nil && cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			tb.Fatalf("page never reached %q: state %+v, err %v", what, st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
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

	bctx, bcancel := browser(tb)
	defer bcancel()
	tabs := []context.Context{bctx}
	for i := 0; i < viewers; i++ {
		if i > 0 { // a new tab in the browser that the first Run started
			tctx, tcancel := chromedp.NewContext(bctx)
			defer tcancel()
			tabs = append(tabs, tctx)
		}
		if err := chromedp.Do(tabs[i], chromedp.Navigate(s.URL()+"&measure=1")); err != nil {
			tb.Fatalf("tab %d: open %s: %v", i, s.URL(), err)
		}
	}
	for i, tab := range tabs {
		st := waitPage(tb, tab, "decoding video at the stream's size with events", func(st pageState) bool {
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
			waitPage(tb, tab, "emergency banner shown", func(st pageState) bool { return st.Emergency })
		}
		time.Sleep(1200 * time.Millisecond) // let the stats tables fill
		png, err := chromedp.Run(tabs[0], chromedp.CaptureScreenshot())
		if err != nil {
			tb.Fatalf("screenshot: %v", err)
		}
		p := filepath.Join(repoOut(tb), "webrtc_emergency.png")
		if err := os.WriteFile(p, png, 0o644); err != nil {
			tb.Fatal(err)
		}
		tb.Logf("screenshot during the emergency: %s", p)
		s.PublishEvent([]byte(`{"type":"clear","source":"cam0","frame":1,"since_frame":1,"duration_ms":1500}`))
		for _, tab := range tabs {
			waitPage(tb, tab, "emergency banner cleared", func(st pageState) bool { return !st.Emergency })
		}
	}

	time.Sleep(dur)
	var res e2eResult
	f.mu.Lock()
	captured := maps(f.captured)
	f.mu.Unlock()
	for i, tab := range tabs {
		st, err := state(tab)
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
	if !inNetns(t, "run", "TestBrowserE2E") {
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
	_ = os.WriteFile(filepath.Join(repoOut(t), "webrtc_latency.json"), b, 0o644)
}

// BenchmarkGlassToGlass reports capture-to-presented latency in Chromium for one viewer at
// 1024×512, 30 fps, on loopback (runs one 5 s session whatever b.N is).
func BenchmarkGlassToGlass(b *testing.B) {
	if !inNetns(b, "bench", "BenchmarkGlassToGlass") {
		return
	}
	res := runBrowser(b, 1, 5*time.Second, false)
	b.ReportMetric(pct(res.g2g, 50), "g2g-p50-ms")
	b.ReportMetric(pct(res.g2g, 95), "g2g-p95-ms")
	b.ReportMetric(pct(res.transfer, 50), "to-recv-p50-ms")
	b.ReportMetric(float64(len(res.g2g)), "frames")
}
