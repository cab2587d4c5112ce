// Package browsertest drives headless Chromium (Debian's chromium) with chromedp against the
// live viewer page (stream/web/index.html) for end-to-end tests and benchmarks.
//
// Chromium never offers loopback ICE candidates, so a test re-runs itself inside a fresh network
// namespace (unshare --net) with lo up and a veth pair holding 127.0.0.2/32: Chromium then sends
// its checks from 127.0.0.1 and pion accepts them as peer-reflexive; on plain loopback ICE
// fails. All traffic stays on loopback inside that namespace.
//
// The usual shape of a test:
//
//	func TestViewer(t *testing.T) {
//		if !browsertest.InNetns(t) {
//			return // the parent: the child in the namespace did the work and reported
//		}
//		... start the server, then browsertest.NewBrowser, OpenTabs, WaitPage ...
//	}
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// NetnsEnv is set to "1" in the re-executed child, inside the network namespace.
const NetnsEnv = "METAOOD_E2E_NETNS"

// EvidenceEnv names a folder where browser tests save evidence (screenshots) when set.
const EvidenceEnv = "METAOOD_EVIDENCE_DIR"

// childTimeout bounds the re-executed test or benchmark.
const childTimeout = "120s"

// Chromium returns the chromium executable. It skips the test when chromium is missing, or
// fails it under METAOOD_REQUIRE_SHARED=1 (CI must run the browser tests, not skip them).
func Chromium(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("METAOOD_REQUIRE_SHARED") == "1" {
			tb.Fatalf("chromium is required for the browser test (apt-get install chromium): %v", err)
		}
		tb.Skipf("chromium not installed (apt-get install chromium); skipping the browser end-to-end test")
	}
	return path
}

// InNetns re-runs the calling test or benchmark (tb.Name(), a top-level one) inside a new
// network namespace and reports its outcome: its output becomes tb's log, a benchmark's
// "<value> <unit>" metrics (units ending in -ms, or frames) are copied to tb, and a failing
// child fails tb. It returns true when the caller is the child and should do the real work.
func InNetns(tb testing.TB) bool {
	tb.Helper()
	return inNetns(tb, Chromium)
}

// InNetnsFirefox is InNetns for a Firefox test: it skips (or fails under
// METAOOD_REQUIRE_SHARED=1) when firefox-esr is missing instead of Chromium.
func InNetnsFirefox(tb testing.TB) bool {
	tb.Helper()
	return inNetns(tb, Firefox)
}

func inNetns(tb testing.TB, browser func(testing.TB) string) bool {
	tb.Helper()
	tb.Logf("browser: %s", browser(tb))
	if os.Getenv(NetnsEnv) == "1" {
		SetupNetns(tb)
		return true
	}
	if runtime.GOOS != "linux" {
		tb.Skip("the browser test needs Linux network namespaces")
	}
	name := tb.Name()
	args := []string{"--net", os.Args[0], "-test.run=^" + name + "$", "-test.v", "-test.count=1", "-test.timeout=" + childTimeout}
	b, isBench := tb.(*testing.B)
	if isBench {
		args[2] = "-test.run=^$"
		args = append(args, "-test.bench=^"+name+"$", "-test.benchtime=1x")
	}
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), NetnsEnv+"=1")
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		tb.Log(line)
	}
	if isBench && err == nil {
		reportChildMetrics(b, string(out))
	}
	if err != nil {
		tb.Fatalf("browser test in a network namespace (unshare --net, needs root or CAP_SYS_ADMIN) failed: %v", err)
	}
	return false
}

// reportChildMetrics copies the child's benchmark metrics (childMetrics) to the parent, so
// `go test -bench` shows them.
func reportChildMetrics(b *testing.B, out string) {
	for _, m := range childMetrics(out) {
		b.ReportMetric(m.value, m.unit)
	}
}

// metric is one "<value> <unit>" pair of a benchmark line.
type metric struct {
	value float64
	unit  string
}

// childMetrics returns the "<value> <unit>" pairs of the benchmark lines (those with ns/op) in
// out whose unit ends in -ms or is frames, in order.
func childMetrics(out string) []metric {
	var ms []metric
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "ns/op") {
			continue
		}
		f := strings.Fields(line)
		for i := 1; i < len(f); i++ {
			if strings.HasSuffix(f[i], "-ms") || f[i] == "frames" {
				var v float64
				if _, err := fmt.Sscan(f[i-1], &v); err == nil {
					ms = append(ms, metric{v, f[i]})
				}
			}
		}
	}
	return ms
}

// SetupNetns brings lo up and adds the veth pair with 127.0.0.2/32 (see the package doc), plus
// 192.0.2.1/24 and a default route on it for Firefox.
// Call it only inside a fresh network namespace (InNetns does).
func SetupNetns(tb testing.TB) {
	tb.Helper()
	for _, c := range [][]string{
		{"link", "set", "lo", "up"},
		{"link", "add", "veth0", "type", "veth", "peer", "name", "veth1"},
		{"addr", "add", "127.0.0.2/32", "dev", "veth0"},
		{"link", "set", "veth0", "up"},
		{"link", "set", "veth1", "up"},
		// Firefox gathers no ICE candidate at all without a routable interface and a default
		// route; TEST-NET-1 (RFC 5737) is never routed, and the namespace has no way out anyway.
		{"addr", "add", "192.0.2.1/24", "dev", "veth0"},
		{"route", "add", "default", "dev", "veth0"},
	} {
		if out, err := exec.Command("ip", c...).CombinedOutput(); err != nil {
			tb.Fatalf("ip %s: %v: %s (needs iproute2 and a fresh network namespace)", strings.Join(c, " "), err, out)
		}
	}
}

// RepoEvidenceDir returns <repo>/out/evidence, creating it.
func RepoEvidenceDir(tb testing.TB) string {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0) // <repo>/internal/browsertest/browsertest.go
	return mkdir(tb, filepath.Join(filepath.Dir(file), "..", "..", "out", "evidence"))
}

// EvidenceDir returns the folder named by $METAOOD_EVIDENCE_DIR, creating it, or "" when unset.
func EvidenceDir(tb testing.TB) string {
	tb.Helper()
	d := os.Getenv(EvidenceEnv)
	if d == "" {
		return ""
	}
	return mkdir(tb, d)
}

func mkdir(tb testing.TB, dir string) string {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatalf("evidence folder %s: %v (pick a writable folder)", dir, err)
	}
	return dir
}

// NewBrowser starts a headless Chromium (1500×950 window, autoplay allowed, a temporary
// profile). The returned context is its first tab; cancel closes the browser.
func NewBrowser(tb testing.TB) (context.Context, context.CancelFunc) {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium(tb)),
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

// OpenTabs opens url in n tabs of the browser whose first tab is bctx (bctx itself is the
// first); cancel closes the extra tabs.
func OpenTabs(tb testing.TB, bctx context.Context, n int, url string) (tabs []context.Context, cancel func()) {
	tb.Helper()
	var cancels []context.CancelFunc
	cancel = func() {
		for _, c := range cancels {
			c()
		}
	}
	tabs = []context.Context{bctx}
	for i := 0; i < n; i++ {
		if i > 0 { // a new tab in the browser that the first Run started
			tctx, tcancel := chromedp.NewContext(bctx)
			cancels = append(cancels, tcancel)
			tabs = append(tabs, tctx)
		}
		if err := chromedp.Do(tabs[i], chromedp.Navigate(url)); err != nil {
			cancel()
			tb.Fatalf("tab %d: open %s: %v", i, url, err)
		}
	}
	return tabs, cancel
}

// PageState is window.metaood as the viewer page keeps it.
type PageState struct {
	Events        int            `json:"events"`
	Types         map[string]int `json:"types"` // events received per type
	FramesDecoded int            `json:"framesDecoded"`
	Width         int            `json:"width"`  // the video's videoWidth
	Height        int            `json:"height"` // the video's videoHeight
	Connected     bool           `json:"connected"`
	Emergency     bool           `json:"emergency"` // the emergency banner is showing
	Error         string         `json:"error"`
	Marks         []struct {
		Seq      uint64  `json:"seq"`
		Shown    float64 `json:"shown"`
		Received float64 `json:"received"`
	} `json:"marks"` // frame markers read from the video (with ?measure=1)
	Sources []string    `json:"sources"` // GET /sources as the page last read it
	Grid    bool        `json:"grid"`    // every source shown at once
	Tiles   []TileState `json:"tiles"`   // one per video shown; the fields above are the first's
}

// TileState is one video of the page.
type TileState struct {
	Source        string `json:"source"` // "" = the server's first source
	FramesDecoded int    `json:"framesDecoded"`
	Width         int    `json:"width"`
	Height        int    `json:"height"`
	Connected     bool   `json:"connected"`
	Events        bool   `json:"events"` // this tile's connection carries the events
}

// State reads window.metaood from a tab.
func State(ctx context.Context) (PageState, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[PageState](`window.metaood || {}`))
}

// WaitTimeout is how long WaitPage polls before failing.
const WaitTimeout = 20 * time.Second

// WaitPage polls a tab every 100 ms until cond holds, and fails the test after WaitTimeout
// with the page's last state.
func WaitPage(tb testing.TB, ctx context.Context, what string, cond func(PageState) bool) PageState {
	tb.Helper()
	return WaitState(tb, func() (PageState, error) { return State(ctx) }, what, cond)
}

// WaitState is WaitPage for any browser: it polls state until cond holds (Firefox:
// FirefoxTab.State).
func WaitState(tb testing.TB, state func() (PageState, error), what string, cond func(PageState) bool) PageState {
	tb.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for {
		st, err := state()
		if err == nil && cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			tb.Fatalf("page never reached %q: state %+v, err %v", what, st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Screenshot saves a PNG of the tab's viewport to path.
func Screenshot(tb testing.TB, ctx context.Context, path string) {
	tb.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.Fatalf("screenshot: %v (pick a writable folder)", err)
	}
}
