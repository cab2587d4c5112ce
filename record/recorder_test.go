package record

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestRingFrom(t *testing.T) {
	r := &Ring{Keep: 2000}
	for _, p := range packets(150, 30, 30) { // 5 s, keyframes at 0, 1000, …, 4000 ms
		r.Push(p)
	}
	// Newest is 4967 ms: the ring starts at the last keyframe at or before 2967 ms.
	if first := r.From(-1 << 40)[0]; first.PTS != 2000 || !first.Key {
		t.Fatalf("ring starts at %d ms (key %v), want the keyframe at 2000", first.PTS, first.Key)
	}
	cases := []struct {
		t, want int64
	}{
		{4967, 4000}, {4000, 4000}, {3999, 3000}, {3000, 3000}, {2500, 2000}, {0, 2000}, {-5000, 2000},
	}
	for _, c := range cases {
		got := r.From(c.t)
		if got[0].PTS != c.want || !got[0].Key || got[len(got)-1].PTS != 4967 {
			t.Errorf("From(%d) = [%d … %d], want from the keyframe at %d to 4967", c.t, got[0].PTS, got[len(got)-1].PTS, c.want)
		}
	}
	if n := r.Len(); n != 90 {
		t.Errorf("ring holds %d packets, want 90 (3 s)", n)
	}
	if (&Ring{}).From(0) != nil {
		t.Error("empty ring returned packets")
	}
}

func TestRetention(t *testing.T) {
	now := time.Now()
	mk := func(dir string, sizes []int, ages []time.Duration) []string {
		var paths []string
		for i, n := range sizes {
			p := filepath.Join(dir, SegmentPath("a.webm", i))
			os.WriteFile(p, make([]byte, n), 0o644)
			os.Chtimes(p, now.Add(-ages[i]), now.Add(-ages[i]))
			paths = append(paths, p)
		}
		return paths
	}
	h := time.Hour
	cases := []struct {
		name  string
		r     Retention
		sizes []int
		ages  []time.Duration
		kept  int
		why   []string
	}{
		{"off", Retention{}, []int{10, 10, 10}, []time.Duration{3 * h, 2 * h, h}, 3, nil},
		{"size", Retention{MaxBytes: 25}, []int{10, 10, 10}, []time.Duration{0, 0, 0}, 2, []string{"size"}},
		{"size keeps the newest", Retention{MaxBytes: 5}, []int{10, 10, 10}, []time.Duration{0, 0, 0}, 1, []string{"size", "size"}},
		{"age", Retention{MaxAge: 90 * time.Minute}, []int{10, 10, 10}, []time.Duration{3 * h, 2 * h, h}, 1, []string{"age", "age"}},
		{"both", Retention{MaxBytes: 15, MaxAge: 150 * time.Minute}, []int{10, 10, 10}, []time.Duration{3 * h, 2 * h, h}, 1, []string{"age", "size"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			paths := mk(t.TempDir(), c.sizes, c.ages)
			kept, deleted, err := c.r.Apply(paths, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(kept) != c.kept || kept[len(kept)-1] != paths[len(paths)-1] {
				t.Errorf("kept %v, want the newest %d", kept, c.kept)
			}
			var why []string
			for _, d := range deleted {
				why = append(why, d.Why)
				if _, err := os.Stat(d.Path); !os.IsNotExist(err) {
					t.Errorf("%s still on disk", d.Path)
				}
			}
			if strings.Join(why, ",") != strings.Join(c.why, ",") {
				t.Errorf("deleted for %v, want %v", why, c.why)
			}
		})
	}
}

// write feeds frames from..from+n-1 through r the way the render sink does: WantKey, then Write.
func write(t *testing.T, r *Recorder, from, n int, onDone func(ClipDone)) {
	t.Helper()
	writeSeqs(t, r, from, n, 1, onDone)
}

// writeSeqs feeds n frames numbered from, from+step, …: step > 1 is a source dropping frames.
func writeSeqs(t *testing.T, r *Recorder, from, n, step int, onDone func(ClipDone)) {
	t.Helper()
	for i := from; i < from+n*step; i += step {
		pts := r.PTS(uint64(i))
		done, err := r.Write(Packet{PTS: pts, Key: r.WantKey(pts), Data: []byte{byte(i)}})
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		for _, d := range done {
			onDone(d)
		}
	}
}

func readParsed(t *testing.T, path string) *parsed {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseWebM(data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRecorderSegments(t *testing.T) {
	dir := t.TempDir()
	reg := prometheus.NewRegistry()
	var verified []string
	r, err := New(Options{Track: Track{W: 16, H: 16, FPS: 30}, Video: filepath.Join(dir, "rec.webm"), Segment: 2 * time.Second,
		Retention: Retention{MaxBytes: 1 << 20}, Metrics: NewMetrics(reg),
		Verify: func(p string, n int) error { verified = append(verified, filepath.Base(p)); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	write(t, r, 0, 150, nil) // 5 s: two closed segments of 2 s, one open of 1 s
	files := r.Files()
	if len(files) != 3 || filepath.Base(files[2]) != "rec-0002.webm" {
		t.Fatalf("files %v", files)
	}
	if strings.Join(verified, ",") != "rec-0000.webm,rec-0001.webm" {
		t.Errorf("verified %v, want the two closed segments", verified)
	}
	if _, err := r.Close(); err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		p := readParsed(t, f)
		want := 60
		if i == 2 {
			want = 30
		}
		if len(p.blocks) != want || !p.blocks[0].key || len(p.cues) != want/30 {
			t.Errorf("%s: %d blocks (first key %v), %d cues; want %d, true, %d", f, len(p.blocks), p.blocks[0].key, len(p.cues), want, want/30)
		}
		if first, last := p.blocks[0].pts, p.blocks[len(p.blocks)-1].pts; first != 0 || last != r.PTS(uint64(60*i+want-1))-r.PTS(uint64(60*i)) {
			t.Errorf("%s: times %d … %d ms, want 0 … %d", f, first, last, r.PTS(uint64(60*i+want-1))-r.PTS(uint64(60*i)))
		}
	}
	if got := counterValue(r.opts.Metrics.files.WithLabelValues("segment", "ok")); got != 3 {
		t.Errorf("segments counted ok: %v, want 3", got)
	}
	if got := counterValue(r.opts.Metrics.bytes.WithLabelValues("segment")); got != 150 {
		t.Errorf("segment bytes %v, want 150", got)
	}
}

// The segment length is kept when it is not a whole number of keyframe intervals: a keyframe
// is forced where a segment is due.
func TestRecorderSegmentForcesKeyframe(t *testing.T) {
	dir := t.TempDir()
	r, _ := New(Options{Track: Track{W: 16, H: 16, FPS: 10}, Video: filepath.Join(dir, "rec.webm"), Segment: 1500 * time.Millisecond})
	write(t, r, 0, 40, nil)
	r.Close()
	for i, f := range r.Files() {
		p := readParsed(t, f)
		if want := []int{15, 15, 10}[i]; len(p.blocks) != want {
			t.Errorf("%s: %d frames, want %d", filepath.Base(f), len(p.blocks), want)
		}
	}
}

func TestRecorderClips(t *testing.T) {
	dir := t.TempDir()
	r, err := New(Options{Track: Track{W: 16, H: 16, FPS: 30}, ClipPre: 5 * time.Second, ClipPost: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var done []ClipDone
	collect := func(d ClipDone) { done = append(done, d) }
	write(t, r, 0, 300, collect) // 10 s
	// An emergency at frame 299 (9967 ms): pre-roll from the keyframe at 4000 ms.
	if d, err := r.StartClip(filepath.Join(dir, "clips", "late.webm"), r.PTS(299)); d != nil || err != nil {
		t.Fatalf("StartClip: %v %v", d, err)
	}
	write(t, r, 300, 60, collect)
	// A second, overlapping one at frame 330 (11000 ms): from the keyframe at 6000 ms.
	r.StartClip(filepath.Join(dir, "clips", "second.webm"), r.PTS(330))
	write(t, r, 360, 150, collect) // to 17 s: the first ends at 14967 ms, the second at 16000 ms
	if len(done) != 2 {
		t.Fatalf("%d clips done, want 2", len(done))
	}
	for i, c := range []struct {
		name  string
		first int64
		at    int64
	}{{"late.webm", 4000, r.PTS(299)}, {"second.webm", 6000, r.PTS(330)}} {
		d := done[i]
		if filepath.Base(d.Path) != c.name || d.Err != nil || d.At != c.at {
			t.Fatalf("clip %d: %+v", i, d)
		}
		p := readParsed(t, d.Path)
		pre, post := float64(d.At-d.Start), p.durationMs-float64(d.At-d.Start)
		// Pre-roll: at least 5 s, at most 5 s + one keyframe interval; post-roll 5 s. The file's
		// times start at 0.
		if d.Start != c.first || p.blocks[0].pts != 0 || !p.blocks[0].key || pre < 5000 || pre > 6000 || math.Abs(post-5000) > 34 {
			t.Errorf("%s: starts at %d ms (key %v, file time %d), pre-roll %.0f ms, post-roll %.0f ms", c.name, d.Start, p.blocks[0].key, p.blocks[0].pts, pre, post)
		}
		if math.Abs(d.DurationMS-p.durationMs) > 0.01 || d.Frames != len(p.blocks) {
			t.Errorf("%s: reported %v ms %d frames, file %v ms %d frames", c.name, d.DurationMS, d.Frames, p.durationMs, len(p.blocks))
		}
	}
	// A clip early in the run: the pre-roll is what there is, from the first frame.
	r2, _ := New(Options{Track: Track{W: 16, H: 16, FPS: 30}, ClipPre: 5 * time.Second, ClipPost: time.Second})
	write(t, r2, 0, 45, nil)
	r2.StartClip(filepath.Join(dir, "early.webm"), r2.PTS(44))
	write(t, r2, 45, 10, nil)
	cut, err := r2.Close() // the run ends before the post-roll: cut short, still a valid file
	if err != nil || len(cut) != 1 || cut[0].Frames != 55 {
		t.Fatalf("clip cut by Close: %+v %v", cut, err)
	}
	if p := readParsed(t, cut[0].Path); p.blocks[0].pts != 0 || len(p.blocks) != 55 || !p.segmentSized {
		t.Errorf("early clip: from %d ms, %d frames, closed %v", p.blocks[0].pts, len(p.blocks), p.segmentSized)
	}
}

func TestRecorderErrors(t *testing.T) {
	dir := t.TempDir()
	bad := []Options{
		{},
		{Track: Track{W: 8, H: 8}, Segment: -time.Second},
		{Track: Track{W: 8, H: 8}, ClipPre: -time.Second},
		{Track: Track{W: 8, H: 8}, Retention: Retention{MaxBytes: 10}},
	}
	for i, o := range bad {
		if _, err := New(o); !errors.Is(err, ErrOptions) {
			t.Errorf("options %d: %v, want ErrOptions", i, err)
		}
	}
	r, _ := New(Options{Track: Track{W: 8, H: 8, FPS: 30}})
	if _, err := r.StartClip(filepath.Join(dir, "x.webm"), 0); !errors.Is(err, ErrOptions) {
		t.Errorf("clip without clips: %v", err)
	}
	// A clip whose file cannot be created is an error of StartClip and of Close; the recording goes on.
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o644)
	r, _ = New(Options{Track: Track{W: 8, H: 8, FPS: 30}, Video: filepath.Join(dir, "v.webm"), ClipPre: time.Second})
	write(t, r, 0, 10, nil)
	if _, err := r.StartClip(filepath.Join(blocker, "c.webm"), r.PTS(9)); !errors.Is(err, ErrWebM) {
		t.Errorf("unwritable clip: %v", err)
	}
	write(t, r, 10, 10, nil)
	if _, err := r.Close(); !errors.Is(err, ErrWebM) {
		t.Errorf("Close after a failed clip: %v", err)
	}
	if p := readParsed(t, filepath.Join(dir, "v.webm")); len(p.blocks) != 20 {
		t.Errorf("recording holds %d frames, want 20", len(p.blocks))
	}
	// A recording folder that cannot be written stops the recording with an error.
	r, _ = New(Options{Track: Track{W: 8, H: 8, FPS: 30}, Video: filepath.Join(blocker, "v.webm")})
	if _, err := r.Write(Packet{Key: true, Data: []byte{1}}); !errors.Is(err, ErrWebM) {
		t.Errorf("unwritable recording: %v", err)
	}
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	c.Write(&m)
	return m.GetCounter().GetValue()
}

// A live source that drops frames (every other one here) keeps real time: segments and the
// keyframe interval are measured in time, not frames.
func TestRecorderDroppedFramesKeepTime(t *testing.T) {
	dir := t.TempDir()
	r, _ := New(Options{Track: Track{W: 16, H: 16, FPS: 30}, Video: filepath.Join(dir, "rec.webm"), Segment: time.Second})
	writeSeqs(t, r, 0, 45, 2, nil) // frames 0, 2, …, 88: 3 s
	r.Close()
	files := r.Files()
	if len(files) != 3 {
		t.Fatalf("files %v, want 3 segments of 1 s", files)
	}
	for _, f := range files {
		p := readParsed(t, f)
		if len(p.blocks) != 15 || math.Abs(p.durationMs-(float64(p.blocks[14].pts)+1000.0/30)) > 0.01 || p.blocks[14].pts != 933 {
			t.Errorf("%s: %d frames, last at %d ms, duration %.1f ms; want 15 frames over 1 s", filepath.Base(f), len(p.blocks), p.blocks[len(p.blocks)-1].pts, p.durationMs)
		}
	}
}
