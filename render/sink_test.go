package render

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/pipeline"
	"github.com/metaood/metaood/postproc"
)

func result(src string, seq uint64, w, h int, emergency bool) *pipeline.Result {
	f := &frame.Frame{Source: src, Seq: seq, Captured: time.Now(), W: w, H: h, Pix: make([]byte, 3*w*h)}
	return &pipeline.Result{
		Frame:    f,
		Analysis: &postproc.Result{W: w / 2, H: h / 2, Entropy: make([]float32, w/2*h/2)},
		Anomalies: []event.Anomaly{
			{ID: 1, BBox: [4]int{w / 2, h * 3 / 4, 10, 10}, Area: 100, PFP: 0.1, InCorridor: true},
			{ID: 2, BBox: [4]int{1, 1, 5, 5}, Area: 25, PFP: 0.9},
		},
		Kept: []bool{true, false}, Rejected: 1, Emergency: emergency, ScaleX: 2, ScaleY: 2,
	}
}

func TestSinkVideosPerSourceAndEvidence(t *testing.T) {
	dir := t.TempDir()
	var published, events int
	s := NewSink(SinkOptions{Dir: dir, Video: "annotated.avi", FPS: 10, Multi: true, Corridor: event.DefaultCorridor(),
		EvidenceEvery: 3,
		PublishFrame: func(source string, seq uint64, captured time.Time, w, h int, bgr []byte) {
			if len(bgr) == 3*w*h {
				published++
			}
		},
		PublishEvent: func([]byte) { events++ }})
	for i := range 4 {
		for _, src := range []string{"a", "cam/0"} {
			if err := s.Frame(result(src, uint64(i), 64, 32, i == 2)); err != nil {
				t.Fatal(err)
			}
		}
	}
	bad := result("a", 9, 64, 32, false)
	bad.Analysis, bad.Anomalies, bad.Kept, bad.Err = nil, nil, nil, errors.New("NaN logits")
	if err := s.Frame(bad); err != nil {
		t.Fatalf("an errored frame must still be drawn: %v", err)
	}
	s.Event(nil, []byte(`{"type":"clear"}`))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{filepath.Join(dir, "annotated-a.avi"): 5, filepath.Join(dir, "annotated-cam_0.avi"): 4}
	if v := s.Videos(); len(v) != 2 {
		t.Fatalf("videos %v", v)
	}
	for p, n := range want {
		if got, w, h, err := ReadVideoInfo(p); err != nil || got != n || w != 64 || h != 32 {
			t.Errorf("%s: %d frames %dx%d (%v), want %d", p, got, w, h, err, n)
		}
	}
	// PNGs: seq 0 and 3 of both sources, the emergency frames (seq 2), and a/9.
	pngs, _ := filepath.Glob(filepath.Join(dir, "frames", "*.png"))
	if n, _ := s.Evidence(); n != 7 || len(pngs) != 7 {
		t.Errorf("evidence %d files %v, want 7", n, pngs)
	}
	if published != 9 || events != 1 {
		t.Errorf("published %d frames, %d events", published, events)
	}
}

// TestSinkSizeChangeIsScaled: a source whose size changes mid-run (an image folder of mixed
// sizes) keeps its video, scaled into the first size, and the viewer still gets every frame.
func TestSinkSizeChangeIsScaled(t *testing.T) {
	dir := t.TempDir()
	published := 0
	s := NewSink(SinkOptions{Dir: dir, Video: "v.avi",
		PublishFrame: func(string, uint64, time.Time, int, int, []byte) { published++ }})
	for i, size := range [][2]int{{64, 32}, {32, 16}, {80, 48}} {
		if err := s.Frame(result("a", uint64(i), size[0], size[1], false)); err != nil {
			t.Fatalf("frame %d at %dx%d: %v", i, size[0], size[1], err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n, w, h, err := ReadVideoInfo(filepath.Join(dir, "v.avi")); err != nil || n != 3 || w != 64 || h != 32 {
		t.Errorf("video: %d frames %dx%d (%v), want 3 at 64x32", n, w, h, err)
	}
	if published != 3 {
		t.Errorf("viewer got %d frames, want 3", published)
	}
}

func TestSinkInactiveDrawsNothing(t *testing.T) {
	s := NewSink(SinkOptions{Dir: t.TempDir()})
	r := result("a", 0, 64, 32, false)
	r.Frame.Pix = nil // would fail if it were drawn
	if err := s.Frame(r); err != nil {
		t.Error(err)
	}
	s.Close()
	if _, err := os.Stat(filepath.Join(s.opts.Dir, "frames")); err == nil {
		t.Error("frames folder created without evidence")
	}
}

// TestSinkSegmentsAndRetention: with Segment set, a new file starts every Segment of video time,
// each closed segment is finalized and readable, and RetainBytes deletes the oldest ones.
func TestSinkSegmentsAndRetention(t *testing.T) {
	dir := t.TempDir()
	s := NewSink(SinkOptions{Dir: dir, Video: "rec.mp4", FPS: 10, Segment: time.Second})
	for i := range 35 { // 10 frames a segment: 3 full segments and one of 5
		if err := s.Frame(result("cam", uint64(i), 64, 32, false)); err != nil {
			t.Fatal(err)
		}
		if i == 10 { // the first segment closed when frame 10 came: playable while the run goes on
			if err := VerifyVideo(filepath.Join(dir, "rec-0000.mp4"), 10); err != nil {
				t.Fatalf("closed segment during the run: %v", err)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	v := s.Videos()
	if len(v) != 4 || v[0] != filepath.Join(dir, "rec-0000.mp4") || v[3] != filepath.Join(dir, "rec-0003.mp4") {
		t.Fatalf("videos %v, want rec-0000 … rec-0003", v)
	}
	for i, p := range v {
		if err := VerifyVideo(p, []int{10, 10, 10, 5}[i]); err != nil {
			t.Errorf("segment %d: %v", i, err)
		}
	}

	// Retention: room for about two segments; the oldest go first, the open one is never deleted.
	st, _ := os.Stat(v[0])
	dir2 := t.TempDir()
	r := NewSink(SinkOptions{Dir: dir2, Video: "rec.mp4", FPS: 10, Segment: time.Second, RetainBytes: 2*st.Size() + st.Size()/2})
	for i := range 50 {
		if err := r.Frame(result("cam", uint64(i), 64, 32, false)); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir2, "rec-*.mp4"))
	if len(left) < 2 || len(left) > 3 || filepath.Base(left[len(left)-1]) != "rec-0004.mp4" {
		t.Errorf("segments left %v, want the newest 2 or 3 ending with rec-0004.mp4", left)
	}
	if got := r.Videos(); len(got) != len(left) {
		t.Errorf("Videos() %v, files on disk %v", got, left)
	}
}
