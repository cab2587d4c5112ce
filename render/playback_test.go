//go:build cgo

package render

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/metaood/metaood/internal/browsertest"
)

// playPage plays the file named in the query in a muted <video>, records what the element
// reports in window.r, and seeks to the middle once it has played (a file without Cues or Duration
// would not report a finite duration or not seek).
const playPage = `<!doctype html><body><script>
const v = document.createElement('video');
v.muted = true; v.playsInline = true; v.src = location.search.slice(1);
document.body.appendChild(v);
window.r = {t: 0, ready: 0, seeked: false};
v.addEventListener('loadedmetadata', () => { r.duration = v.duration; r.w = v.videoWidth; r.h = v.videoHeight; });
v.addEventListener('error', () => { r.error = 'media error ' + (v.error && v.error.code) + ' ' + (v.error && v.error.message); });
v.addEventListener('seeked', () => { r.seeked = true; r.seekedAt = v.currentTime; });
v.play().catch(e => { r.error = String(e); });
setInterval(() => {
  r.t = Math.max(r.t, v.currentTime); r.ready = v.readyState;
  if (r.t > 0.2 && !r.seekAsked) { r.seekAsked = true; r.seekTo = v.duration / 2; v.currentTime = r.seekTo; }
}, 50);
</script>`

type playState struct {
	T        float64 `json:"t"`
	Ready    int     `json:"ready"`
	Duration float64 `json:"duration"`
	W        int     `json:"w"`
	H        int     `json:"h"`
	Seeked   bool    `json:"seeked"`
	SeekTo   float64 `json:"seekTo"`
	SeekedAt float64 `json:"seekedAt"`
	Error    string  `json:"error"`
}

// TestWebMPlaysInChromium: the recording's segments and an event clip play in headless
// Chromium from an HTTP server (as a rig's operator would open them): the <video> reports the
// frame size and the file's duration, plays (currentTime > 0, readyState ≥ 2) and seeks.
func TestWebMPlaysInChromium(t *testing.T) {
	browsertest.Chromium(t) // skips (or fails under METAOOD_REQUIRE_SHARED=1) without chromium
	dir := t.TempDir()
	d := newDrive(320, 160)
	s := NewSink(SinkOptions{Dir: dir, Video: "rec.webm", FPS: 30, Segment: 2 * time.Second, ClipPre: time.Second, ClipPost: time.Second})
	for i := range 150 { // two closed segments of 2 s and an open one of 1 s; a clip at frame 70
		if err := s.Frame(driveResult(d, "cam", i, i == 70)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	files := map[string]float64{"rec-0000.webm": 2, "rec-0001.webm": 2, "rec-0002.webm": 1, "clips/cam-000070.webm": 2}

	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(dir)))
	mux.HandleFunc("/play.html", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(playPage))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	bctx, cancel := browsertest.NewBrowser(t)
	defer cancel()
	for name, secs := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			if _, err := chromedp.Run(bctx, chromedp.Navigate(srv.URL+"/play.html?/"+name)); err != nil {
				t.Fatal(err)
			}
			var st playState
			ctx, stop := context.WithTimeout(bctx, 20*time.Second)
			defer stop()
			for {
				var err error
				st, err = chromedp.Run(bctx, chromedp.Evaluate[playState](`window.r || {}`))
				if err == nil && (st.Error != "" || st.T > 0.2 && st.Ready >= 2 && st.Seeked) {
					break
				}
				select {
				case <-ctx.Done():
					t.Fatalf("%s never played and seeked: %+v (%v)", name, st, err)
				case <-time.After(100 * time.Millisecond):
				}
			}
			if st.Error != "" {
				t.Fatalf("%s: %s", name, st.Error)
			}
			// The clip starts at the keyframe at or before its pre-roll: up to 1 s more.
			if st.W != 320 || st.H != 160 || st.Duration < secs-0.05 || st.Duration > secs+1.05 || st.SeekTo < 0.4 || math.Abs(st.SeekedAt-st.SeekTo) > 0.05 {
				t.Errorf("%s: %+v, want 320x160, %.0f s, seeked to the middle", name, st, secs)
			}
			t.Logf("%s: %+v", name, st)
		})
	}
}
