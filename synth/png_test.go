package synth

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestPNGRoundTrip(t *testing.T) {
	cfg := small(3)
	bgr, gt := render(t, cfg, 42)
	dir := t.TempDir()
	fp, gp := filepath.Join(dir, "f.png"), filepath.Join(dir, "g.png")
	if err := WriteFramePNG(fp, bgr, cfg.W, cfg.H); err != nil {
		t.Fatal(err)
	}
	if err := WriteGTPNG(gp, gt, cfg.W, cfg.H); err != nil {
		t.Fatal(err)
	}
	got, w, h, err := ReadGTPNG(gp)
	if err != nil || w != cfg.W || h != cfg.H || !bytes.Equal(got, gt) {
		t.Fatalf("GT round trip: %v, %dx%d, equal=%v", err, w, h, bytes.Equal(got, gt))
	}
	f, err := os.Open(fp)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// BGR → RGB: check a few pixels.
	for _, p := range []int{0, 1234, cfg.W*cfg.H - 1} {
		r, g, b, _ := img.At(p%cfg.W, p/cfg.W).RGBA()
		if uint8(r>>8) != bgr[3*p+2] || uint8(g>>8) != bgr[3*p+1] || uint8(b>>8) != bgr[3*p] {
			t.Fatalf("pixel %d: PNG %d,%d,%d vs BGR %v", p, r>>8, g>>8, b>>8, bgr[3*p:3*p+3])
		}
	}
}

func TestPNGErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := EncodeFramePNG(&buf, make([]byte, 5), 2, 2); !errors.Is(err, ErrImage) {
		t.Errorf("short frame: %v", err)
	}
	if err := EncodeGTPNG(&buf, make([]byte, 5), 2, 2); !errors.Is(err, ErrImage) {
		t.Errorf("short gt: %v", err)
	}
	if _, _, _, err := ReadGTPNG(filepath.Join(t.TempDir(), "missing.png")); err == nil {
		t.Error("missing file: no error")
	}
	// An RGB PNG is not a label image.
	buf.Reset()
	rgba := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	rgba.Set(0, 0, color.NRGBA{1, 2, 3, 255})
	if err := png.Encode(&buf, rgba); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := DecodeGTPNG(&buf); !errors.Is(err, ErrImage) {
		t.Errorf("RGB PNG as labels: %v", err)
	}
	if _, _, _, err := DecodeGTPNG(bytes.NewReader([]byte("not a png"))); !errors.Is(err, ErrImage) {
		t.Errorf("garbage: %v", err)
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		w, h int
		ok   bool
	}{
		{"1024x512", 1024, 512, true},
		{" 640X480 ", 640, 480, true},
		{"1024", 0, 0, false},
		{"1024x", 0, 0, false},
		{"axb", 0, 0, false},
		{"16x16", 0, 0, false},
		{"100000x10", 0, 0, false},
		{"-64x64", 0, 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			w, h, err := ParseSize(tc.in)
			if (err == nil) != tc.ok || w != tc.w || h != tc.h {
				t.Fatalf("ParseSize(%q) = %d, %d, %v", tc.in, w, h, err)
			}
			if err != nil && !errors.Is(err, ErrSize) {
				t.Fatalf("error %v is not ErrSize", err)
			}
		})
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1024x512", "x", "32x32", "9999999999999999999x1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, h, err := ParseSize(s)
		if err == nil && (w < 32 || h < 32 || w > 8192 || h > 8192) {
			t.Fatalf("ParseSize(%q) accepted %dx%d", s, w, h)
		}
	})
}

func FuzzDecodeGTPNG(f *testing.F) {
	var buf bytes.Buffer
	_ = EncodeGTPNG(&buf, []uint8{0, 1, 254, 255}, 2, 2)
	f.Add(buf.Bytes())
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		gt, w, h, err := DecodeGTPNG(bytes.NewReader(data))
		if err == nil && len(gt) != w*h {
			t.Fatalf("%d labels for %dx%d", len(gt), w, h)
		}
	})
}
