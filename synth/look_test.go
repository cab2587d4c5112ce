package synth

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestLook writes a few frames to $SYNTH_LOOK for eyeballing; skipped unless set.
func TestLook(t *testing.T) {
	dir := os.Getenv("SYNTH_LOOK")
	if dir == "" {
		t.Skip("set SYNTH_LOOK=dir to write sample frames")
	}
	cfg := DefaultConfig()
	d := NewDrive(cfg)
	bgr := make([]byte, 3*cfg.W*cfg.H)
	gt := make([]uint8, cfg.W*cfg.H)
	frames := []int{40, 190, 300, 520, 700, 1000}
	if f := os.Getenv("SYNTH_FRAMES"); f != "" {
		frames = frames[:0]
		for _, x := range strings.Split(f, ",") {
			i, err := strconv.Atoi(x)
			if err != nil {
				t.Fatal(err)
			}
			frames = append(frames, i)
		}
	}
	for _, i := range frames {
		d.Frame(i, bgr, gt)
		if err := WriteFramePNG(fmt.Sprintf("%s/f%04d.png", dir, i), bgr, cfg.W, cfg.H); err != nil {
			t.Fatal(err)
		}
		col := make([]byte, len(bgr))
		for p, l := range gt {
			c := gtColour(l)
			col[3*p], col[3*p+1], col[3*p+2] = c.b, c.g, c.r
		}
		if err := WriteFramePNG(fmt.Sprintf("%s/g%04d.png", dir, i), col, cfg.W, cfg.H); err != nil {
			t.Fatal(err)
		}
	}
}

func gtColour(l uint8) rgb {
	switch {
	case l == Anomaly:
		return rgb{255, 0, 255}
	case l == Ignore:
		return rgb{0, 0, 0}
	case l < NumClasses:
		return hsv(float64(l)/19, 0.8, 0.9)
	}
	return rgb{255, 255, 255}
}
