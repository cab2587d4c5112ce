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

	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/internal/sharedtest"
)

// The smoke test: OpenCV writes a video and reads it back frame for frame.
func TestVideoWriteReadBack(t *testing.T) {
	dir := t.TempDir()
	const n, w, h = 12, 64, 48
	path := writeVideo(t, dir, "clip.avi", n, w, h, 25)
	reg := prometheus.NewRegistry()
	src, err := Open(path, Options{Registry: reg}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fps := src.FPS(); fps != 25 {
		t.Errorf("FPS %v, want the file's 25", fps)
	}
	if src.ID() != "clip.avi" || src.Mode() != frame.Replay {
		t.Errorf("ID %q mode %v; want clip.avi, replay", src.ID(), src.Mode())
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
	if st := src.(*videoSource).Stats(); st.Frames != n || st.Errors != 0 {
		t.Errorf("stats %+v; want %d frames, no errors", st, n)
	}
	if v := counterValue(t, reg, "metaood_capture_frames_total", "clip.avi"); v != n {
		t.Errorf("metaood_capture_frames_total = %v, want %d", v, n)
	}
}

func TestVideoLimitAndRealtime(t *testing.T) {
	path := writeVideo(t, t.TempDir(), "fast.avi", 10, 32, 32, 50)
	src, err := Open(path, Options{Realtime: true, Limit: 6}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if src.Mode() != frame.Paced || src.FPS() != 50 {
		t.Errorf("mode %v at %v fps; a realtime file is paced at its own 50 fps", src.Mode(), src.FPS())
	}
	frames, err := collect(t, src)
	if err != nil || len(frames) != 6 {
		t.Errorf("%d frames, err %v; want the limit 6", len(frames), err)
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
	src, err := Open(path, Options{}, nil)
	if err != nil {
		t.Fatalf("Open of a half file: %v", err)
	}
	frames, err := collect(t, src)
	if len(frames) == 0 || len(frames) >= 20 {
		t.Fatalf("%d frames from half a 20-frame file", len(frames))
	}
	var early *frame.EndedEarly
	want := fmt.Sprintf("truncated or corrupt: video %s ended after %d of 20 frames (%d unreadable)", path, len(frames), 20-len(frames))
	if !errors.As(err, &early) || early.Why != want {
		t.Errorf("end of stream: %v, want *frame.EndedEarly %q", err, want)
	}
	if st := src.(*videoSource).Stats(); st.Errors != 1 {
		t.Errorf("errors %d, want 1", st.Errors)
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
	src, err := Open(path, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := collect(t, src) // io.EOF: nil
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 221 || frames[0].W != 960 || frames[0].H != 540 || frames[220].Seq != 220 {
		t.Fatalf("%d frames of %dx%d, want 221 of 960x540", len(frames), frames[0].W, frames[0].H)
	}
}
