package capture

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/metaood/metaood/internal/sharedtest"
)

// The smoke test: OpenCV writes a video and reads it back frame for frame.
func TestVideoWriteReadBack(t *testing.T) {
	dir := t.TempDir()
	const n, w, h = 12, 64, 48
	path := writeVideo(t, dir, "clip.avi", n, w, h, 25)
	var log stateLog
	reg := prometheus.NewRegistry()
	src, err := Open(path, Options{OnState: log.on, Registry: reg}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fps := src.(interface{ FPS() float64 }).FPS(); fps != 25 {
		t.Errorf("FPS %v, want the file's 25", fps)
	}
	if src.ID() != "clip.avi" || src.Live() {
		t.Errorf("ID %q live %v; want clip.avi, not live", src.ID(), src.Live())
	}
	frames, err := collect(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != n {
		t.Fatalf("%d frames read back, want %d", len(frames), n)
	}
	start := time.Now().Add(-time.Minute)
	for i, f := range frames {
		if err := f.Validate(); err != nil || f.W != w || f.H != h || f.Seq != uint64(i) || f.Source != "clip.avi" || f.Captured.Before(start) {
			t.Fatalf("frame %d: %s/%d %dx%d captured %v err %v", i, f.Source, f.Seq, f.W, f.H, f.Captured, err)
		}
		wb, wg, wr := colour(i)
		b, g, r := meanBGR(f)
		if math.Abs(b-float64(wb)) > 8 || math.Abs(g-float64(wg)) > 8 || math.Abs(r-float64(wr)) > 8 {
			t.Errorf("frame %d colour %.0f,%.0f,%.0f; want %d,%d,%d (BGR)", i, b, g, r, wb, wg, wr)
		}
		if p := f.Pix[:3]; p[0] < 230 || p[1] < 230 || p[2] < 230 {
			t.Errorf("frame %d: corner marker %v, want white", i, p)
		}
		Recycle(f)
	}
	if st := src.(StatsSource).Stats(); st.Frames != n || st.Errors != 0 {
		t.Errorf("stats %+v; want %d frames, no errors", st, n)
	}
	if states, _ := log.get(); !slices.Equal(states, []string{StateOpened, StateEnded}) {
		t.Errorf("states %v; want opened, ended", states)
	}
	if e := src.(EarlyEnder).EarlyEnd(); e != "" {
		t.Errorf("EarlyEnd() = %q after a complete file, want \"\"", e)
	}
	if v := counterValue(t, reg, "metaood_capture_frames_total", "clip.avi"); v != n {
		t.Errorf("metaood_capture_frames_total = %v, want %d", v, n)
	}
}

func TestVideoLimitAndRealtimePacing(t *testing.T) {
	path := writeVideo(t, t.TempDir(), "fast.avi", 10, 32, 32, 50)
	src, err := Open(path, Options{Realtime: true, Limit: 6}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !src.Live() {
		t.Error("a realtime file is live-like")
	}
	t0 := time.Now()
	frames, err := collect(t, src)
	if err != nil {
		t.Fatal(err)
	}
	// Paced at the file's 50 fps: frame 5 is due 100 ms after frame 0 (a lower bound only).
	if el := time.Since(t0); el < 90*time.Millisecond {
		t.Errorf("6 frames at 50 fps took %v, want ≥ 100 ms", el)
	}
	if got := len(frames) + int(src.(StatsSource).Stats().Dropped); got != 6 {
		t.Errorf("delivered %d + dropped = %d, want the limit 6", len(frames), got)
	}
}

func TestVideoBadFiles(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.mp4")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a video ", 500)), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.avi")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want []error
	}{
		{garbage, []error{ErrOpen, ErrCorrupt}},
		{empty, []error{ErrOpen, ErrCorrupt}},
		{filepath.Join(dir, "missing.mp4"), []error{ErrOpen}},
	} {
		_, err := Open(tc.path, Options{}, nil)
		if err == nil || !slices.ContainsFunc(tc.want, func(e error) bool { return errors.Is(err, e) }) ||
			!strings.Contains(err.Error(), tc.path) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Open(%s) = %v; want one of %v naming the file on one line", tc.path, err, tc.want)
		}
	}
}

// A file cut in the middle: what decodes is delivered, then the stream ends with a warning.
func TestVideoTruncated(t *testing.T) {
	dir := t.TempDir()
	path := writeVideo(t, dir, "cut.avi", 20, 64, 48, 25)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	var log stateLog
	src, err := Open(path, Options{OnState: log.on}, nil)
	if err != nil {
		t.Fatalf("Open of a half file: %v", err)
	}
	frames, err := collect(t, src)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(frames) == 0 || len(frames) >= 20 {
		t.Fatalf("%d frames from half a 20-frame file", len(frames))
	}
	states, details := log.get()
	if len(states) != 2 || states[1] != StateEnded || !strings.Contains(details[1], "truncated") {
		t.Errorf("states %v %q; want ended with 'truncated'", states, details)
	}
	if st := src.(StatsSource).Stats(); st.Errors != 1 {
		t.Errorf("errors %d, want 1", st.Errors)
	}
	want := fmt.Sprintf("after %d of 20 frames (%d unreadable)", len(frames), 20-len(frames))
	if e := src.(EarlyEnder).EarlyEnd(); !strings.Contains(e, want) || e != details[1] {
		t.Errorf("EarlyEnd() = %q, want the ended detail %q, containing %q", e, details[1], want)
	}
}

func counterValue(t *testing.T, reg *prometheus.Registry, name, source string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "source" && lp.GetValue() == source {
					if m.Counter != nil {
						return m.GetCounter().GetValue()
					}
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return math.NaN()
}

// A real dashcam clip (H.264 .mp4) decodes completely: 221 frames of 960x540, no warning.
func TestRealClip(t *testing.T) {
	path := filepath.Join(sharedtest.Path(t, "video"), "udacity_solidWhiteRight.mp4")
	var log stateLog
	src, err := Open(path, Options{OnState: log.on}, nil)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := collect(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 221 || frames[0].W != 960 || frames[0].H != 540 || frames[220].Seq != 220 {
		t.Fatalf("%d frames of %dx%d, want 221 of 960x540", len(frames), frames[0].W, frames[0].H)
	}
	if _, details := log.get(); !strings.Contains(details[len(details)-1], "end of video after 221 frames") {
		t.Errorf("end detail %q", details[len(details)-1])
	}
}
