package oodeval

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
)

// Overlay colours.
var (
	colKept     = color.RGBA{255, 40, 40, 255}  // components the meta classifier keeps
	colRejected = color.RGBA{40, 120, 255, 255} // components it removes
	colVoidMask = color.RGBA{0, 220, 220, 255}  // entropy ≥ threshold on void (never a component)
	colGT       = color.RGBA{255, 230, 0, 255}  // ground-truth anomaly: outline, faint tint
)

const overlayLegend = "Overlays (`overlays/<dataset>/<frame>.png`, at map size): red = component kept by the meta classifier, " +
	"blue = component removed by it, cyan = entropy ≥ threshold on void, yellow outline (and faint tint) = ground-truth anomaly, " +
	"darkened = void."

// ResizeBGR resizes a BGR24 w×h image to an nw×nh RGBA image with nearest neighbour at pixel
// centres (the sampling resizeLabels uses for the labels).
func ResizeBGR(pix []byte, w, h, nw, nh int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, nw, nh))
	xs := make([]int, nw)
	for x := range xs {
		xs[x] = min(w-1, int((float64(x)+0.5)*float64(w)/float64(nw)))
	}
	for y := range nh {
		sy := min(h-1, int((float64(y)+0.5)*float64(h)/float64(nh)))
		src := pix[3*w*sy:]
		dst := img.Pix[y*img.Stride:]
		for x, sx := range xs {
			dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = src[3*sx+2], src[3*sx+1], src[3*sx], 255
		}
	}
	return img
}

// blend mixes colour c into pixel i of img with weight a (0…1).
func blend(img *image.RGBA, i int, c color.RGBA, a float64) {
	p := img.Pix[4*i : 4*i+3]
	for k, v := range [3]uint8{c.R, c.G, c.B} {
		p[k] = uint8(float64(p[k])*(1-a) + float64(v)*a + 0.5)
	}
}

// Overlay draws one frame's evaluation on img, an in.W×in.H picture of the frame (see ResizeBGR):
// void darkened, kept components red, removed ones blue, the entropy mask on void cyan, and the
// ground-truth anomalies outlined (and faintly tinted) in yellow.
func Overlay(img *image.RGBA, in FrameInput) error {
	if err := in.validate(); err != nil {
		return err
	}
	if b := img.Bounds(); b.Dx() != in.W || b.Dy() != in.H || b.Min != (image.Point{}) || img.Stride != 4*in.W {
		return fmt.Errorf("%w: overlay picture %v for a %dx%d map", ErrInput, img.Bounds(), in.W, in.H)
	}
	w, h := in.W, in.H
	for i, l := range in.Labels {
		switch c := abs32(in.Components[i]); {
		case c != 0 && in.Kept[c-1]:
			blend(img, i, colKept, 0.55)
		case c != 0:
			blend(img, i, colRejected, 0.5)
		case l == Void && in.Score[i] >= in.Threshold:
			blend(img, i, colVoidMask, 0.35)
		case l == Void:
			blend(img, i, color.RGBA{}, 0.55)
		case l == Anomaly:
			blend(img, i, colGT, 0.25)
		}
	}
	for y := range h {
		for x := range w {
			i := y*w + x
			if in.Labels[i] != Anomaly {
				continue
			}
			edge := x == 0 || y == 0 || x == w-1 || y == h-1 ||
				in.Labels[i-1] != Anomaly || in.Labels[i+1] != Anomaly || in.Labels[i-w] != Anomaly || in.Labels[i+w] != Anomaly
			if edge {
				copy(img.Pix[4*i:4*i+3], []uint8{colGT.R, colGT.G, colGT.B})
			}
		}
	}
	return nil
}

// EncodePNG writes img as PNG (fast compression: overlays are many and large).
func EncodePNG(w io.Writer, img image.Image) error {
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	return enc.Encode(w, img)
}

// WriteOverlay writes the overlay of in over img to path, through a temporary file.
func WriteOverlay(path string, img *image.RGBA, in FrameInput) error {
	if err := Overlay(img, in); err != nil {
		return err
	}
	return writeAtomic(path, func(w io.Writer) error { return EncodePNG(w, img) })
}
