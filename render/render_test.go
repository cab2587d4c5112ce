package render

import (
	"errors"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if n := openMats(); code == 0 && n != 0 {
		println("render: Mat leak:", n, "Mats left open")
		code = 1
	}
	os.Exit(code)
}

func scene(w, h int) *Scene {
	pix := make([]byte, 3*w*h)
	for i := range pix {
		pix[i] = 60
	}
	mw, mh := w/2, h/2
	ent := make([]float32, mw*mh)
	for y := mh / 2; y < mh*3/4; y++ {
		for x := mw / 3; x < mw/2; x++ {
			ent[y*mw+x] = 1
		}
	}
	return &Scene{W: w, H: h, Pix: pix, Entropy: ent, MapW: mw, MapH: mh,
		Boxes: []Box{
			{ID: 1, Rect: image.Rect(w*2/3-10, h/2, w*2/3+10, h/2+20), PFP: 0.1, Kept: true, InCorridor: true},
			{ID: 2, Rect: image.Rect(5, 5, 25, 25), PFP: 0.9},
		},
		Corridor:  []image.Point{{w * 2 / 5, h / 2}, {w * 3 / 5, h / 2}, {w, h}, {0, h}},
		Emergency: true, Label: "synth #1", FPS: 12.5, Latency: 80 * time.Millisecond}
}

func px(b []byte, w, x, y int) [3]byte { i := 3 * (y*w + x); return [3]byte{b[i], b[i+1], b[i+2]} }

func TestRender(t *testing.T) {
	r := New(Options{})
	defer r.Close()
	s := scene(256, 128)
	out, err := r.Render(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3*256*128 {
		t.Fatalf("len %d", len(out))
	}
	// The hot region (x 85..127, y 64..95 in frame px) is brighter than the grey frame; a cold pixel
	// keeps its colour; the banner at the top is red.
	if hot := px(out, 256, 105, 80); int(hot[2]) <= 60+50 {
		t.Errorf("hot pixel %v not brightened", hot)
	}
	if cold := px(out, 256, 200, 20); cold != [3]byte{60, 60, 60} {
		t.Errorf("cold pixel %v changed", cold)
	}
	if b := px(out, 256, 128, 2); !(b[2] > 150 && b[0] < 50) {
		t.Errorf("banner pixel %v not red", b)
	}
	if s.Pix[0] != 60 {
		t.Error("input frame was modified")
	}
	// A second frame of another size reuses the renderer.
	if out2, err := r.Render(scene(64, 32), out); err != nil || len(out2) != 3*64*32 {
		t.Errorf("resize: %v %d", err, len(out2))
	}
}

func TestRenderErrors(t *testing.T) {
	r := New(Options{})
	defer r.Close()
	cases := []struct {
		name string
		mod  func(*Scene)
	}{
		{"short pix", func(s *Scene) { s.Pix = s.Pix[:10] }},
		{"zero size", func(s *Scene) { s.W = 0 }},
		{"entropy size", func(s *Scene) { s.MapW = 3 }},
	}
	for _, c := range cases {
		s := scene(64, 32)
		c.mod(s)
		if _, err := r.Render(s, nil); !errors.Is(err, ErrScene) {
			t.Errorf("%s: err = %v, want ErrScene", c.name, err)
		}
	}
}

func TestVideoRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.avi", "a.mp4"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			v, err := CreateVideo(path, 10, 64, 32)
			if err != nil {
				t.Fatal(err)
			}
			r := New(Options{})
			defer r.Close()
			var buf []byte
			for i := 0; i < 5; i++ {
				if buf, err = r.Render(scene(64, 32), buf); err != nil {
					t.Fatal(err)
				}
				if err := v.Write(buf, 64, 32); err != nil {
					t.Fatal(err)
				}
			}
			if err := v.Write(buf[:30], 4, 2); !errors.Is(err, ErrVideo) {
				t.Errorf("wrong size accepted: %v", err)
			}
			if err := v.Close(); err != nil {
				t.Fatal(err)
			}
			n, w, h, err := ReadVideoInfo(path)
			if err != nil || n != 5 || w != 64 || h != 32 {
				t.Errorf("read back %d frames %dx%d (%v), want 5 64x32", n, w, h, err)
			}
		})
	}
}

func TestVideoErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := CreateVideo(filepath.Join(dir, "x.gif"), 10, 8, 8); !errors.Is(err, ErrVideo) {
		t.Errorf("gif: %v", err)
	}
	if _, err := CreateVideo(filepath.Join(dir, "missing", "x.avi"), 10, 8, 8); !errors.Is(err, ErrVideo) {
		t.Errorf("missing folder: %v", err)
	}
}

func TestSaveImage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.png")
	if err := SaveImage(p, make([]byte, 3*8*4), 8, 4); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(p); err != nil || st.Size() == 0 {
		t.Errorf("png not written: %v", err)
	}
	if err := SaveImage(p, make([]byte, 5), 8, 4); !errors.Is(err, ErrScene) {
		t.Errorf("short buffer: %v", err)
	}
}

func BenchmarkRender(b *testing.B) {
	r := New(Options{})
	defer r.Close()
	s := scene(1024, 512)
	var buf []byte
	for b.Loop() {
		buf, _ = r.Render(s, buf)
	}
}

func TestLargestKept(t *testing.T) {
	r := New(Options{})
	defer r.Close()
	box := func(side int, kept, in bool) Box {
		return Box{Rect: image.Rect(0, 0, side, side), Kept: kept, InCorridor: in}
	}
	cases := []struct {
		boxes []Box
		n     int
		want  []bool
	}{
		{[]Box{box(5, true, false), box(9, true, false), box(7, true, false)}, 2, []bool{false, true, true}},
		{[]Box{box(50, false, false), box(3, true, false)}, 1, []bool{false, true}},
		{[]Box{box(50, true, false), box(3, true, true)}, 1, []bool{false, true}},
		{nil, 3, []bool{}},
	}
	for i, c := range cases {
		got := r.largestKept(c.boxes, c.n)
		if !slices.Equal(got, c.want) {
			t.Errorf("case %d: %v, want %v", i, got, c.want)
		}
	}
}

// TestVerifyVideoCatchesCutFiles: a finished video that a full disk cut short, or that is gone
// to garbage, is reported by the check Close runs; a complete one passes.
func TestVerifyVideoCatchesCutFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "v.mp4")
	v, err := CreateVideo(path, 10, 64, 32)
	if err != nil {
		t.Fatal(err)
	}
	bgr := make([]byte, 3*64*32)
	for i := range 30 {
		for j := range bgr {
			bgr[j] = byte(i * 7)
		}
		if err := v.Write(bgr, 64, 32); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Close(); err != nil {
		t.Fatalf("complete video: %v", err)
	}
	if err := VerifyVideo(path, 40); !errors.Is(err, ErrVideo) || !strings.Contains(err.Error(), "40 frames written") {
		t.Errorf("10 frames missing: %v, want ErrVideo counting them", err)
	}
	data, _ := os.ReadFile(path)
	cut := filepath.Join(dir, "cut.mp4")
	os.WriteFile(cut, data[:len(data)/2], 0o644) // the disk filled up: no index at the end
	if err := VerifyVideo(cut, 30); !errors.Is(err, ErrVideo) {
		t.Errorf("a cut mp4: %v, want ErrVideo", err)
	}
}

// TestVideoH264: --video-codec h264 writes H.264 (avc1) that reads back; an unknown codec is an error.
func TestVideoH264(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.mp4")
	v, err := CreateVideoWith(path, "h264", 10, 64, 32)
	if err != nil {
		t.Fatalf("H.264 through OpenCV's FFmpeg: %v", err)
	}
	bgr := make([]byte, 3*64*32)
	for range 12 {
		if err := v.Write(bgr, 64, 32); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Close(); err != nil || v.Codec() != "avc1" {
		t.Fatalf("close: %v, codec %q; want avc1", err, v.Codec())
	}
	if _, err := CreateVideoWith(path, "hevc", 10, 64, 32); !errors.Is(err, ErrVideo) {
		t.Errorf("unknown codec: %v, want ErrVideo", err)
	}
}
