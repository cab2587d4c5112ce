package capture

import (
	"image"
	"image/color"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/metaood/metaood/frame"
)

// colour of test frame i: distinct, far apart, survives MJPG.
func colour(i int) (b, g, r byte) {
	return byte(40 + 50*(i%4)), byte(30 + 60*((i/4)%3)), byte(200 - 15*i)
}

// writeVideo writes n solid-colour w×h frames as an MJPG .avi and returns its path.
func writeVideo(t testing.TB, dir, name string, n, w, h int, fps float64) string {
	t.Helper()
	path := filepath.Join(dir, name)
	vw, err := gocv.VideoWriterFile(path, "MJPG", fps, w, h, true)
	if err != nil {
		t.Fatalf("VideoWriter: %v", err)
	}
	for i := range n {
		b, g, r := colour(i)
		m := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(float64(b), float64(g), float64(r), 0), h, w, gocv.MatTypeCV8UC3)
		gocv.Rectangle(&m, image.Rect(0, 0, w/4, h/4), gocvWhite, -1) // a corner marker
		err := vw.Write(m)
		m.Close()
		if err != nil {
			vw.Close()
			t.Fatalf("write frame %d: %v", i, err)
		}
	}
	if err := vw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

var gocvWhite = colorRGBA(255, 255, 255)

// meanBGR is the mean colour of the frame's bottom-right quarter (away from the marker).
func meanBGR(f *frame.Frame) (b, g, r float64) {
	n := 0
	for y := f.H / 2; y < f.H; y++ {
		for x := f.W / 2; x < f.W; x++ {
			p := f.Pix[3*(y*f.W+x):]
			b += float64(p[0])
			g += float64(p[1])
			r += float64(p[2])
			n++
		}
	}
	return b / float64(n), g / float64(n), r / float64(n)
}

// collect reads src to its end (nil error) or its first error.
func collect(t *testing.T, src frame.Source) ([]*frame.Frame, error) {
	t.Helper()
	return ReadAll(t.Context(), src, 0)
}

func colorRGBA(r, g, b uint8) color.RGBA { return color.RGBA{R: r, G: g, B: b, A: 255} }
