//go:build cgo

package render

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/pipeline"
	"github.com/metaood/metaood/synth"
)

// driveResult is frame i of a synthetic drive as the sink gets it, with an emergency event
// when emergency is set.
func driveResult(d *synth.Drive, src string, i int, emergency bool) *pipeline.Result {
	c := d.Config()
	r := result(src, uint64(i), c.W, c.H, emergency)
	d.Frame(i, r.Frame.Pix, nil)
	if emergency {
		r.Events = append(r.Events, &event.Emergency{Header: event.Header{Type: event.TypeEmergency, Source: src, Frame: uint64(i)},
			Anomaly: r.Anomalies[0], SinceFrame: uint64(i)})
	}
	return r
}

func newDrive(w, h int) *synth.Drive {
	c := synth.DefaultConfig()
	c.W, c.H = w, h
	return synth.NewDrive(c)
}

// TestSinkWebMSegments: a .webm video is encoded by libvpx into segments that each decode (with
// OpenCV/FFmpeg, as a player would) to the frames written, at the frame size.
func TestSinkWebMSegments(t *testing.T) {
	dir := t.TempDir()
	d := newDrive(256, 128)
	s := NewSink(SinkOptions{Dir: dir, Video: "rec.webm", FPS: 30, Segment: time.Second})
	for i := range 75 {
		if err := s.Frame(driveResult(d, "cam", i, false)); err != nil {
			t.Fatal(err)
		}
		if i == 31 { // the first segment closed when frame 30 came: playable while the run goes on
			if n, _, _, err := ReadVideoInfo(filepath.Join(dir, "rec-0000.webm")); err != nil || n != 30 {
				t.Fatalf("closed segment during the run: %d frames, %v", n, err)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	v := s.Videos()
	if len(v) != 3 || filepath.Base(v[2]) != "rec-0002.webm" {
		t.Fatalf("videos %v, want rec-0000 … rec-0002.webm", v)
	}
	for i, p := range v {
		n, w, h, err := ReadVideoInfo(p)
		if want := []int{30, 30, 15}[i]; err != nil || n != want || w != 256 || h != 128 {
			t.Errorf("%s: %d frames %dx%d (%v), want %d at 256x128", filepath.Base(p), n, w, h, err, want)
		}
	}
}

// TestSinkWebMBitrate: the recording keeps to the bitrate it is given (a synthetic drive at
// 1024×512 with mild noise on top; OpenCV's mp4v writer takes about 24 Mbit/s for the drive alone).
func TestSinkWebMBitrate(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes 6 s at 1024x512")
	}
	d := newDrive(1024, 512)
	const fps, frames = 30, 90
	for _, kbps := range []int{800, 3000} {
		dir := t.TempDir()
		s := NewSink(SinkOptions{Dir: dir, Video: "rec.webm", FPS: fps, VideoBitrateKbps: kbps})
		seed := uint32(1)
		for i := range frames {
			r := driveResult(d, "cam", i, false)
			for j := range r.Frame.Pix {
				seed = seed*1664525 + 1013904223
				r.Frame.Pix[j] ^= byte(seed>>24) & 0x0f
			}
			if err := s.Frame(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(filepath.Join(dir, "rec.webm"))
		if err != nil {
			t.Fatal(err)
		}
		got := float64(st.Size()) * 8 / (frames / fps) / 1000
		t.Logf("%.0f kbit/s at a target of %d", got, kbps)
		if got > 1.25*float64(kbps) || got < 0.6*float64(kbps) {
			t.Errorf("recording at %.0f kbit/s, want about the target %d (-40%%/+25%%)", got, kbps)
		}
	}
}

// TestSinkEmergencyClipAndSnapshot: an emergency gets a clip from the keyframe at or before
// ClipPre before it to ClipPost after it, and a JPEG of its annotated frame; both paths go into
// the emergency event, and a clip event follows when the clip is complete. The recording itself
// is an .avi here: clips do not depend on the recording's format.
func TestSinkEmergencyClipAndSnapshot(t *testing.T) {
	dir := t.TempDir()
	d := newDrive(256, 128)
	const fps = 30
	s := NewSink(SinkOptions{Dir: dir, Video: "rec.avi", FPS: fps, ClipPre: 2 * time.Second, ClipPost: time.Second})
	var emergencies []*event.Emergency
	var clipEvents []*event.Clip
	var clipAt []int
	for i := range 200 {
		r := driveResult(d, "cam/0", i, i == 100 || i == 20)
		if err := s.Frame(r); err != nil {
			t.Fatal(err)
		}
		for _, e := range r.Events {
			switch e := e.(type) {
			case *event.Emergency:
				emergencies = append(emergencies, e)
			case *event.Clip:
				clipEvents, clipAt = append(clipEvents, e), append(clipAt, i)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(emergencies) != 2 || len(clipEvents) != 2 {
		t.Fatalf("%d emergencies, %d clip events; want 2 and 2", len(emergencies), len(clipEvents))
	}
	for k, em := range emergencies {
		base := fmt.Sprintf("cam_0-%06d", em.Frame)
		if em.Clip != filepath.Join("clips", base+".webm") || em.Snapshot != filepath.Join("snapshots", base+".jpg") {
			t.Errorf("emergency %d: clip %q snapshot %q", em.Frame, em.Clip, em.Snapshot)
		}
		snap := gocv.IMRead(filepath.Join(dir, em.Snapshot), gocv.IMReadColor)
		if snap.Empty() || snap.Cols() != 256 || snap.Rows() != 128 {
			t.Errorf("snapshot %s does not decode to 256x128", em.Snapshot)
		}
		snap.Close()
		ce := clipEvents[k]
		if ce.Clip != em.Clip || ce.EmergencyFrame != em.Frame || ce.Source != "cam/0" || ce.Type != event.TypeClip {
			t.Errorf("clip event %+v for emergency %d", ce, em.Frame)
		}
		// Complete after the post-roll: 1 s (30 frames) after the emergency.
		if want := int(em.Frame) + 30; clipAt[k] < want-1 || clipAt[k] > want {
			t.Errorf("clip of frame %d completed at frame %d, want %d", em.Frame, clipAt[k], want)
		}
		n, w, h, err := ReadVideoInfo(filepath.Join(dir, em.Clip))
		if err != nil || n != ce.Frames || w != 256 || h != 128 {
			t.Errorf("%s: %d frames %dx%d (%v), event says %d", em.Clip, n, w, h, err, ce.Frames)
		}
		// Duration: pre + post within one keyframe interval (1 s); at frame 20 there is only
		// 0.67 s of pre-roll to take.
		pre := math.Min(2000, float64(em.Frame)*1000/fps)
		if ce.DurationMS < pre+1000-34 || ce.DurationMS > pre+1000+1000 {
			t.Errorf("%s: %.0f ms, want %.0f ms + at most one keyframe interval", em.Clip, ce.DurationMS, pre+1000)
		}
	}
	if clips, snaps := s.Clips(); len(clips) != 2 || snaps != 2 {
		t.Errorf("Clips() = %v, %d", clips, snaps)
	}
	if v := s.Videos(); len(v) != 1 || !strings.HasSuffix(v[0], "rec.avi") {
		t.Errorf("videos %v: the clips' encoder must not add a recording", v)
	}
}

// TestSinkClipRetention: with a clip budget, completed clips beyond it go oldest first, each with
// its snapshot, and the newest always stays; an age limit removes clips older than it.
func TestSinkClipRetention(t *testing.T) {
	// run records a drive with emergencies at the given frames (clips of 0.2 s post-roll) and
	// calls between after each frame.
	run := func(t *testing.T, dir string, opts SinkOptions, emergencies []int, between func(i int)) (em []*event.Emergency) {
		t.Helper()
		opts.Dir, opts.Video, opts.FPS, opts.ClipPost = dir, "rec.webm", 30, 200*time.Millisecond
		d := newDrive(128, 64)
		s := NewSink(opts)
		for i := range 70 {
			r := driveResult(d, "cam", i, slices.Contains(emergencies, i))
			if err := s.Frame(r); err != nil {
				t.Fatal(err)
			}
			for _, e := range r.Events {
				if e, ok := e.(*event.Emergency); ok {
					em = append(em, e)
				}
			}
			between(i)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		return em
	}
	onDisk := func(dir string, e *event.Emergency) (clip, snap bool) {
		_, err1 := os.Stat(filepath.Join(dir, e.Clip))
		_, err2 := os.Stat(filepath.Join(dir, e.Snapshot))
		return err1 == nil, err2 == nil
	}
	t.Run("size", func(t *testing.T) {
		// One byte of budget: every completed clip but the newest goes, with its snapshot.
		dir := t.TempDir()
		em := run(t, dir, SinkOptions{ClipRetainBytes: 1}, []int{10, 30, 50}, func(int) {})
		if len(em) != 3 {
			t.Fatalf("%d emergencies", len(em))
		}
		for k, e := range em {
			want := k == len(em)-1
			if clip, snap := onDisk(dir, e); clip != want || snap != want {
				t.Errorf("emergency %d: clip on disk %v, snapshot %v; want %v", e.Frame, clip, snap, want)
			}
		}
	})
	t.Run("age", func(t *testing.T) {
		// The first clip (complete at frame 11) is two hours old on disk when the second completes.
		dir := t.TempDir()
		em := run(t, dir, SinkOptions{ClipRetainAge: time.Hour}, []int{5, 40}, func(i int) {
			if i == 20 {
				old := time.Now().Add(-2 * time.Hour)
				if err := os.Chtimes(filepath.Join(dir, "clips", "cam-000005.webm"), old, old); err != nil {
					t.Fatal(err)
				}
			}
		})
		if len(em) != 2 {
			t.Fatalf("%d emergencies", len(em))
		}
		if clip, snap := onDisk(dir, em[0]); clip || snap {
			t.Errorf("old clip kept: clip %v snapshot %v", clip, snap)
		}
		if clip, snap := onDisk(dir, em[1]); !clip || !snap {
			t.Errorf("new clip deleted: clip %v snapshot %v", clip, snap)
		}
	})
}

// TestSinkClipCutByEnd: a clip still open when the run ends is finalized short and playable,
// its path already in the emergency event (no clip event: no event follows Close).
func TestSinkClipCutByEnd(t *testing.T) {
	dir := t.TempDir()
	d := newDrive(128, 64)
	s := NewSink(SinkOptions{Dir: dir, Video: "rec.webm", FPS: 30, Segment: time.Minute, ClipPre: time.Second, ClipPost: 5 * time.Second})
	var em *event.Emergency
	for i := range 50 {
		r := driveResult(d, "a", i, i == 40)
		if err := s.Frame(r); err != nil {
			t.Fatal(err)
		}
		if i == 40 {
			em = r.Events[0].(*event.Emergency)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// From the keyframe at frame 0 (at or before 40 − 30) to the last frame, 49.
	if n, _, _, err := ReadVideoInfo(filepath.Join(dir, em.Clip)); err != nil || n != 50 {
		t.Errorf("clip cut by the end: %d frames (%v), want 50", n, err)
	}
	if v := s.Videos(); len(v) != 1 || filepath.Base(v[0]) != "rec-0000.webm" {
		t.Errorf("videos %v", v)
	}
}

// BenchmarkRecord is the recording's cost per annotated 1024×512 frame of a synthetic drive:
// the WebM path (BGR→I420, libvpx VP8 at 3 Mbit/s, muxing) against OpenCV's mp4v writer.
func BenchmarkRecord(b *testing.B) {
	d := newDrive(1024, 512)
	const n = 60
	frames := make([]*pipeline.Result, n)
	for i := range frames {
		frames[i] = driveResult(d, "cam", i, false)
	}
	// "none" draws the overlays only (for the live viewer): the difference is the recording's.
	for _, video := range []string{"", "rec.webm", "rec.mp4"} {
		name := strings.TrimPrefix(filepath.Ext(video), ".")
		if video == "" {
			name = "none"
		}
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			s := NewSink(SinkOptions{Dir: dir, Video: video, FPS: 30, Segment: time.Minute,
				PublishFrame: func(string, uint64, time.Time, int, int, []byte) {}})
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r := *frames[i%n]
				f := *r.Frame
				f.Seq = uint64(i)
				r.Frame = &f
				if err := s.Frame(&r); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
			var size int64
			for _, p := range s.Videos() {
				if st, err := os.Stat(p); err == nil {
					size += st.Size()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
			b.ReportMetric(float64(size)*8/(float64(b.N)/30)/1e6, "Mbit/s")
		})
	}
}

// TestSinkWebMSizeChange: a source whose size changes mid-run is scaled into its recording's size.
func TestSinkWebMSizeChange(t *testing.T) {
	dir := t.TempDir()
	s := NewSink(SinkOptions{Dir: dir, Video: "v.webm", FPS: 10})
	for i, size := range [][2]int{{128, 64}, {64, 32}, {160, 96}} {
		if err := s.Frame(driveResult(newDrive(size[0], size[1]), "a", i, false)); err != nil {
			t.Fatalf("frame %d at %dx%d: %v", i, size[0], size[1], err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n, w, h, err := ReadVideoInfo(filepath.Join(dir, "v.webm")); err != nil || n != 3 || w != 128 || h != 64 {
		t.Errorf("video: %d frames %dx%d (%v), want 3 at 128x64", n, w, h, err)
	}
}

// TestSinkWebMBitrateWithDrops: a live source whose frames are dropped at irregular gaps (a
// quarter of them) keeps its times in the file and stays under the bitrate: libvpx is fed a
// steady clock (given the real, irregular gaps it overshot by 45 %).
func TestSinkWebMBitrateWithDrops(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes 5 s at 1024x512")
	}
	d := newDrive(1024, 512)
	const kbps = 2000
	dir := t.TempDir()
	s := NewSink(SinkOptions{Dir: dir, Video: "rec.webm", FPS: 30, VideoBitrateKbps: kbps})
	seq, n, seed := 0, 0, uint32(7)
	for seq < 150 {
		if err := s.Frame(driveResult(d, "cam", seq, false)); err != nil {
			t.Fatal(err)
		}
		n++
		if seed = seed*1664525 + 1013904223; seed>>30 == 0 {
			seq++ // a dropped frame: a gap in the sequence numbers
		}
		seq++
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rec.webm")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	secs := float64(seq) / 30
	got := float64(st.Size()) * 8 / secs / 1000
	t.Logf("%d of %d frames: %.0f kbit/s at a target of %d", n, seq, got, kbps)
	if got > 1.1*kbps {
		t.Errorf("recording at %.0f kbit/s with dropped frames, want at most the target %d (+10%%)", got, kbps)
	}
	if frames, _, _, err := ReadVideoInfo(path); err != nil || frames != n {
		t.Errorf("%d frames decode (%v), want %d", frames, err, n)
	}
}
