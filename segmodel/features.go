package segmodel

import (
	"fmt"
	"math"
)

// The fixed (not trained) part of the tiny model: per-pixel, per-row and per-column features
// computed from the RGB image. The ONNX graph (Build) and this Go reference compute the same values.
//
// Per pixel (NumPixelFeatures): RGB; 5×5 local mean; 5×5 local variance (each per channel;
// windows clipped at the border, averaging only real pixels). A 21×21 mean was tried and dropped:
// held-out accuracy moved by less than run-to-run noise (0.980 → 0.978) and it cost ~20% of the
// ONNX Runtime time (the vertical pass of a separable pool is slow there).
// Per row (NumRowFeatures): y = (row+0.5)/H; the row's mean RGB.
// Per column (NumColFeatures): |2·(col+0.5)/W − 1|, the distance from the image's centre line.
// Coordinates are relative, so their meaning does not depend on the frame size.
const (
	// SmallWin is the local window size in pixels (odd: centred, "same" output size).
	SmallWin = 5

	// NumPixelFeatures, NumRowFeatures and NumColFeatures count the features of each kind.
	NumPixelFeatures = 9
	NumRowFeatures   = 4
	NumColFeatures   = 1
	// NumFeatures is the length of one pixel's feature vector: pixel, then row, then column features.
	NumFeatures = NumPixelFeatures + NumRowFeatures + NumColFeatures
)

// FeatureNames names the NumFeatures inputs of the first layer, in order.
var FeatureNames = [NumFeatures]string{
	"r", "g", "b", "mean5_r", "mean5_g", "mean5_b", "var5_r", "var5_g", "var5_b",
	"y", "rowmean_r", "rowmean_g", "rowmean_b", "xdist",
}

// Features holds the feature maps of one image of H×W pixels.
type Features struct {
	H, W  int
	Pixel []float32 // NumPixelFeatures × H × W, planar
	Row   []float32 // NumRowFeatures × H
	Col   []float32 // NumColFeatures × W
}

// At writes the feature vector of pixel (row i, column j) into dst (len ≥ NumFeatures).
func (f *Features) At(i, j int, dst []float32) {
	hw, p := f.H*f.W, i*f.W+j
	for k := range NumPixelFeatures {
		dst[k] = f.Pixel[k*hw+p]
	}
	for k := range NumRowFeatures {
		dst[NumPixelFeatures+k] = f.Row[k*f.H+i]
	}
	for k := range NumColFeatures {
		dst[NumPixelFeatures+NumRowFeatures+k] = f.Col[k*f.W+j]
	}
}

// ComputeFeatures computes the feature maps of rgb (3 × h × w planar, RGB in [0,1]) into f,
// reusing f's buffers when they are large enough.
func ComputeFeatures(rgb []float32, h, w int, f *Features) error {
	if h <= 0 || w <= 0 || len(rgb) != 3*h*w {
		return fmt.Errorf("%w: image has %d values, want 3×%d×%d", ErrShape, len(rgb), h, w)
	}
	hw := h * w
	f.H, f.W = h, w
	f.Pixel = grow(f.Pixel, NumPixelFeatures*hw)
	f.Row = grow(f.Row, NumRowFeatures*h)
	f.Col = grow(f.Col, NumColFeatures*w)
	sq := make([]float32, hw)
	tmp := make([]float32, hw)
	for c := range 3 {
		x := rgb[c*hw : (c+1)*hw]
		copy(f.Pixel[c*hw:], x)
		m5 := f.Pixel[(3+c)*hw : (4+c)*hw]
		boxMean(x, h, w, SmallWin/2, tmp, m5)
		for p, v := range x {
			sq[p] = v * v
		}
		v5 := f.Pixel[(6+c)*hw : (7+c)*hw]
		boxMean(sq, h, w, SmallWin/2, tmp, v5)
		for p := range v5 {
			v5[p] -= m5[p] * m5[p]
		}
		for i := range h {
			var s float64
			for _, v := range x[i*w : (i+1)*w] {
				s += float64(v)
			}
			f.Row[(1+c)*h+i] = float32(s / float64(w))
		}
	}
	// Same float32 operations as the ONNX graph: (index + 0.5) / size.
	for i := range h {
		f.Row[i] = (float32(i) + 0.5) / float32(h)
	}
	for j := range w {
		f.Col[j] = float32(math.Abs(float64((float32(j)+0.5)/float32(w)-0.5))) * 2
	}
	return nil
}

// boxMean writes into dst the mean of src over the (2r+1)² window around each pixel, clipped
// at the border (like AveragePool with count_include_pad=0). It is separable: rows, then columns,
// with running sums in float64 so the cost does not grow with r.
func boxMean(src []float32, h, w, r int, tmp, dst []float32) {
	for i := range h {
		row := src[i*w : (i+1)*w]
		out := tmp[i*w : (i+1)*w]
		var s float64
		for j := 0; j <= r && j < w; j++ {
			s += float64(row[j])
		}
		for j := range w {
			lo, hi := max(j-r, 0), min(j+r, w-1)
			out[j] = float32(s / float64(hi-lo+1))
			if j+r+1 < w {
				s += float64(row[j+r+1])
			}
			if j-r >= 0 {
				s -= float64(row[j-r])
			}
		}
	}
	col := make([]float64, w)
	for i := 0; i <= r && i < h; i++ {
		for j := range w {
			col[j] += float64(tmp[i*w+j])
		}
	}
	for i := range h {
		lo, hi := max(i-r, 0), min(i+r, h-1)
		n := float64(hi - lo + 1)
		out := dst[i*w : (i+1)*w]
		for j := range w {
			out[j] = float32(col[j] / n)
		}
		if i+r+1 < h {
			add := tmp[(i+r+1)*w : (i+r+2)*w]
			for j := range w {
				col[j] += float64(add[j])
			}
		}
		if i-r >= 0 {
			sub := tmp[(i-r)*w : (i-r+1)*w]
			for j := range w {
				col[j] -= float64(sub[j])
			}
		}
	}
}

// grow returns s resized to n, reallocating only when its capacity is short.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// RGBFromBGR converts a BGR24 frame (w × h, 3 bytes per pixel) to the model input:
// RGB planar float32 in [0,1] (len 3·w·h), written into dst when it is large enough.
func RGBFromBGR(bgr []byte, w, h int, dst []float32) ([]float32, error) {
	hw := w * h
	if w <= 0 || h <= 0 || len(bgr) != 3*hw {
		return nil, fmt.Errorf("%w: BGR frame has %d bytes, want 3×%d×%d", ErrShape, len(bgr), w, h)
	}
	dst = grow(dst, 3*hw)
	const s = 1.0 / 255
	for p := range hw {
		dst[p] = float32(bgr[3*p+2]) * s
		dst[hw+p] = float32(bgr[3*p+1]) * s
		dst[2*hw+p] = float32(bgr[3*p]) * s
	}
	return dst, nil
}
