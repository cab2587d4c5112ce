package stream

// The viewer page with several sources, in headless Chromium (in a network namespace, see
// e2e_test.go): all sources in a grid, then one picked from the source list.

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/metaood/metaood/internal/browsertest"
)

// TestBrowserGridAndSwitch: with ?grid=1 the page shows both sources, each decoded at its own
// size, with the events arriving once (one tile carries the data channel, the other offers video
// only); picking cam1 in the source list leaves one tile on cam1 and frees the other viewer slot.
func TestBrowserGridAndSwitch(t *testing.T) {
	if !inNetns(t) {
		return
	}
	sizes := map[string][2]int{"cam0": {640, 320}, "cam1": {320, 160}}
	s := startServer(t, Config{Token: "e2e-token", MaxViewers: 4})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for name, wh := range sizes {
		feed(ctx, s, name, wh[0], wh[1], 30)
	}
	waitFor(t, "both sources", 5*time.Second, func() bool { _, names := s.pickSource(""); return len(names) == 2 })

	bctx, bcancel := browsertest.NewBrowser(t)
	defer bcancel()
	tabs, tcancel := browsertest.OpenTabs(t, bctx, 1, s.URL()+"&grid=1")
	defer tcancel()
	tab := tabs[0]
	decodedAtSize := func(st browsertest.PageState, want ...string) bool {
		if len(st.Tiles) != len(want) {
			return false
		}
		for i, tl := range st.Tiles {
			wh := sizes[want[i]]
			if tl.Source != want[i] || tl.FramesDecoded == 0 || tl.Width != wh[0] || tl.Height != wh[1] {
				return false
			}
		}
		return true
	}
	_, order := s.pickSource("")
	st := browsertest.WaitPage(t, tab, "both sources decoded in the grid", func(st browsertest.PageState) bool {
		return st.Grid && decodedAtSize(st, order...)
	})
	t.Logf("grid: %+v", st.Tiles)
	if dir := browsertest.EvidenceDir(t); dir != "" {
		browsertest.Screenshot(t, tab, filepath.Join(dir, "viewer_grid.png"))
	}
	if s.viewerCount() != 2 {
		t.Errorf("%d viewers for a grid of 2", s.viewerCount())
	}
	s.mu.Lock()
	withEvents := 0
	for _, v := range s.viewers {
		if !v.noEvents {
			withEvents++
		}
	}
	s.mu.Unlock()
	if withEvents != 1 {
		t.Errorf("%d of the grid's viewers asked for events, want 1", withEvents)
	}

	// Events arrive once, whatever the number of tiles.
	before := st.Events
	const n = 10
	for i := range n {
		ts := time.Now().UTC().Format(time.RFC3339Nano)
		s.PublishEvent(fmt.Appendf(nil, `{"type":"anomalies","source":"cam%d","frame":%d,"capture_ts":%q,"emit_ts":%q,"anomalies":[],"rejected":0}`, i%2, i, ts, ts))
	}
	browsertest.WaitPage(t, tab, "the events", func(st browsertest.PageState) bool { return st.Events >= before+n })
	time.Sleep(300 * time.Millisecond)
	if st, err := browsertest.State(tab); err != nil || st.Events != before+n {
		t.Errorf("page counted %d events after %d published (%v), want each once", st.Events-before, n, err)
	}

	// Pick cam1 in the source list.
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`(() => { const p = document.getElementById("pick");
		p.value = "cam1"; return p.value === "cam1" && p.dispatchEvent(new Event("change")); })()`)); err != nil {
		t.Fatal(err)
	}
	st = browsertest.WaitPage(t, tab, "cam1 alone", func(st browsertest.PageState) bool {
		return !st.Grid && decodedAtSize(st, "cam1") && st.Width == 320
	})
	t.Logf("after picking cam1: %+v", st.Tiles)
	waitFor(t, "the grid's viewers to leave", 10*time.Second, func() bool { return s.viewerCount() == 1 })
	loc, err := chromedp.Run(tab, chromedp.Evaluate[string](`location.search`))
	if err != nil || loc != "?token=e2e-token&source=cam1" {
		t.Errorf("address after picking: %q (%v), want the choice kept with the token", loc, err)
	}
}
