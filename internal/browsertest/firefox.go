package browsertest

// Firefox (Debian's firefox-esr), headless, driven over WebDriver BiDi: a minimal client for the
// few commands the viewer tests need (session.new, browsingContext.navigate, script.evaluate,
// browsingContext.captureScreenshot), so the tests need no node and no driver binary.
//
// What Firefox needs for WebRTC to the viewer on loopback (checked with firefox-esr 153): without
// media.peerconnection.ice.loopback and with its host addresses hidden behind mDNS names
// (media.peerconnection.ice.obfuscate_host_addresses, pion here resolves none), ICE fails; the
// profile sets both. And Firefox gathers no candidate at all on a machine with no routable
// interface and default route: SetupNetns adds one to the test namespace, so the same tests run
// there as in a normal network.

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// firefoxPrefs go into the test profile's user.js: media plays without a gesture, WebRTC uses
// plain loopback addresses, and nothing reaches for the network (updates, telemetry).
var firefoxPrefs = map[string]any{
	"media.autoplay.default":                            0, // allow audible and muted autoplay
	"media.autoplay.blocking_policy":                    0,
	"media.peerconnection.ice.loopback":                 true,
	"media.peerconnection.ice.obfuscate_host_addresses": false,
	"media.navigator.permission.disabled":               true,
	"app.update.disabledForTesting":                     true,
	"browser.shell.checkDefaultBrowser":                 false,
	"browser.startup.homepage_override.mstone":          "ignore",
	"browser.safebrowsing.downloads.enabled":            false,
	"browser.safebrowsing.malware.enabled":              false,
	"browser.safebrowsing.phishing.enabled":             false,
	"datareporting.policy.dataSubmissionEnabled":        false,
	"toolkit.telemetry.reportingpolicy.firstRun":        false,
	"network.captive-portal-service.enabled":            false,
	"network.connectivity-service.enabled":              false,
	"services.settings.server":                          "http://127.0.0.1:9/none", // remote settings: nowhere
	"app.normandy.enabled":                              false,
	"browser.newtabpage.activity-stream.feeds.topsites": false,
	"browser.newtabpage.activity-stream.feeds.snippets": false,
	"dom.disable_open_during_load":                      false,
}

// firefoxStart bounds Firefox's start until its BiDi endpoint is up.
const firefoxStart = 30 * time.Second

// Firefox returns the firefox-esr executable. It skips the test when it is missing, or fails it
// under METAOOD_REQUIRE_SHARED=1.
func Firefox(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"firefox-esr", "firefox"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("METAOOD_REQUIRE_SHARED") == "1" {
		tb.Fatalf("firefox-esr is required for the Firefox browser test (apt-get install firefox-esr)")
	}
	tb.Skipf("firefox-esr not installed (apt-get install firefox-esr); skipping the Firefox end-to-end test")
	return ""
}

// FirefoxTab is one headless Firefox with its first tab, driven over WebDriver BiDi.
type FirefoxTab struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	ws      *websocket.Conn
	context string // the tab's browsing context id

	mu     sync.Mutex // one command at a time
	nextID int
}

var bidiURL = regexp.MustCompile(`WebDriver BiDi listening on (ws://[0-9.:\[\]a-z]+)`)

// NewFirefox starts a headless Firefox with a fresh profile, opens a BiDi session and returns
// its first tab; the test's cleanup ends the session and the browser.
func NewFirefox(tb testing.TB) *FirefoxTab {
	tb.Helper()
	exe := Firefox(tb)
	profile := tb.TempDir()
	var js strings.Builder
	for k, v := range firefoxPrefs {
		b, _ := json.Marshal(v)
		fmt.Fprintf(&js, "user_pref(%q, %s);\n", k, b)
	}
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(js.String()), 0o644); err != nil {
		tb.Fatalf("firefox profile: %v", err)
	}
	cmd := exec.Command(exe, "--headless", "--no-remote", "--profile", profile,
		"--remote-debugging-port", "0", "--remote-allow-origins", "http://127.0.0.1", "about:blank")
	cmd.Env = append(os.Environ(), "MOZ_HEADLESS=1", "HOME="+profile, "MOZ_CRASHREPORTER_DISABLE=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", exe, err)
	}
	f := &FirefoxTab{cmd: cmd, exited: make(chan struct{})}
	found := make(chan string, 1)
	var logMu sync.Mutex
	var log strings.Builder // Firefox's stderr, shown when it fails to start
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			if log.Len() < 8<<10 {
				log.WriteString(sc.Text() + "\n")
			}
			logMu.Unlock()
			if m := bidiURL.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_ = cmd.Wait()
		close(f.exited)
	}()
	tb.Cleanup(f.close)
	var wsURL string
	select {
	case wsURL = <-found:
	case <-f.exited:
		logMu.Lock()
		defer logMu.Unlock()
		tb.Fatalf("firefox exited before its WebDriver BiDi endpoint came up:\n%s", log.String())
	case <-time.After(firefoxStart):
		logMu.Lock()
		defer logMu.Unlock()
		tb.Fatalf("firefox: no WebDriver BiDi endpoint within %v:\n%s", firefoxStart, log.String())
	}
	f.ws, err = websocket.Dial(wsURL+"/session", "", "http://127.0.0.1")
	if err != nil {
		tb.Fatalf("firefox: connect to %s: %v", wsURL, err)
	}
	if _, err := f.call("session.new", map[string]any{"capabilities": map[string]any{}}); err != nil {
		tb.Fatalf("firefox: session.new: %v", err)
	}
	tree, err := f.call("browsingContext.getTree", map[string]any{"maxDepth": 0})
	if err != nil {
		tb.Fatalf("firefox: browsingContext.getTree: %v", err)
	}
	var t struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	if err := json.Unmarshal(tree, &t); err != nil || len(t.Contexts) == 0 {
		tb.Fatalf("firefox: no tab in %s (%v)", tree, err)
	}
	f.context = t.Contexts[0].Context
	return f
}

// close ends the session and stops the browser (killing it when it lingers).
func (f *FirefoxTab) close() {
	if f.ws != nil {
		_, _ = f.call("session.end", map[string]any{})
		_ = f.ws.Close()
	}
	_ = f.cmd.Process.Signal(os.Interrupt)
	select {
	case <-f.exited:
	case <-time.After(5 * time.Second):
		_ = f.cmd.Process.Kill()
		<-f.exited
	}
}

// bidiTimeout bounds one command.
const bidiTimeout = 30 * time.Second

// call sends one BiDi command and returns its result, skipping the events sent meanwhile.
func (f *FirefoxTab) call(method string, params any) (json.RawMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	id := f.nextID
	_ = f.ws.SetDeadline(time.Now().Add(bidiTimeout))
	if err := websocket.JSON.Send(f.ws, map[string]any{"id": id, "method": method, "params": params}); err != nil {
		return nil, fmt.Errorf("%s: send: %w", method, err)
	}
	for {
		var msg struct {
			ID      *int            `json:"id"`
			Type    string          `json:"type"`
			Result  json.RawMessage `json:"result"`
			Error   string          `json:"error"`
			Message string          `json:"message"`
		}
		if err := websocket.JSON.Receive(f.ws, &msg); err != nil {
			return nil, fmt.Errorf("%s: receive: %w", method, err)
		}
		if msg.ID == nil || *msg.ID != id {
			continue // an event, or the answer to an abandoned command
		}
		if msg.Type == "error" {
			return nil, fmt.Errorf("%s: %s: %s", method, msg.Error, msg.Message)
		}
		return msg.Result, nil
	}
}

// Navigate opens url in the tab and waits for the page to load.
func (f *FirefoxTab) Navigate(url string) error {
	_, err := f.call("browsingContext.navigate", map[string]any{"context": f.context, "url": url, "wait": "complete"})
	return err
}

// Eval evaluates a JavaScript expression in the page and returns JSON.stringify of its value
// (promises are awaited).
func (f *FirefoxTab) Eval(expr string) (string, error) {
	res, err := f.call("script.evaluate", map[string]any{
		"expression":      "(async () => JSON.stringify(await (" + expr + ")))()",
		"target":          map[string]any{"context": f.context},
		"awaitPromise":    true,
		"resultOwnership": "none",
	})
	if err != nil {
		return "", err
	}
	var r struct {
		Type   string `json:"type"`
		Result struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"result"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return "", fmt.Errorf("script.evaluate: %w", err)
	}
	if r.Type == "exception" {
		return "", fmt.Errorf("script.evaluate %s: %s", expr, r.ExceptionDetails.Text)
	}
	if r.Result.Type != "string" {
		return "", fmt.Errorf("script.evaluate %s: a %s, not JSON", expr, r.Result.Type)
	}
	return r.Result.Value, nil
}

// State reads window.metaood from the tab.
func (f *FirefoxTab) State() (PageState, error) {
	var st PageState
	s, err := f.Eval("window.metaood || {}")
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal([]byte(s), &st)
}

// Screenshot saves a PNG of the tab's viewport to path.
func (f *FirefoxTab) Screenshot(tb testing.TB, path string) {
	tb.Helper()
	res, err := f.call("browsingContext.captureScreenshot", map[string]any{"context": f.context})
	if err != nil {
		tb.Fatalf("firefox screenshot: %v", err)
	}
	var r struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		tb.Fatalf("firefox screenshot: %v", err)
	}
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil || len(png) == 0 {
		tb.Fatalf("firefox screenshot: %d bytes, %v", len(png), err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.Fatalf("screenshot: %v (pick a writable folder)", err)
	}
}
