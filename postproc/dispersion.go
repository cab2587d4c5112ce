package postproc

import (
	"fmt"
	"math"

	"github.com/metaood/metaood/frame"
)

// A dispersion input (Input.Disp) is the model's own per-pixel summary of the class map — entropy,
// argmax, top-2 probabilities, and the class probabilities of the pixels at or above the entropy
// threshold — computed on the device by infer's dispersion head. The metrics come out as from the
// class map, with one approximation: the E heat map (Σ p ln(p+ε) / ln(1/C), docs/METHOD.md §3) is
// taken to be the normalized entropy, from which it differs by at most C·ε/ln C (7.7e-7 for C =
// 19), below the float32 rounding of either.

// validateDisp checks the sizes of a dispersion input.
func (in *Input) validateDisp() error {
	d, hw := in.Disp, in.H*in.W
	switch {
	case len(d.Entropy) != hw:
		return fmt.Errorf("%w: dispersion entropy has %d pixels, map has %dx%d", ErrShape, len(d.Entropy), in.W, in.H)
	case len(d.Argmax) != hw:
		return fmt.Errorf("%w: dispersion argmax has %d pixels, map has %dx%d", ErrShape, len(d.Argmax), in.W, in.H)
	case len(d.Top2) != 2*hw:
		return fmt.Errorf("%w: dispersion top-2 has %d values, want 2×%dx%d", ErrShape, len(d.Top2), in.W, in.H)
	case d.M < 0 || (d.Stride != 0 && d.Stride < d.M) || (d.M > 0 && len(d.MaskProbs) < (in.C-1)*d.RowStride()+d.M):
		return fmt.Errorf("%w: dispersion mask probabilities: %d values for %d classes × %d pixels (stride %d)", ErrShape, len(d.MaskProbs), in.C, d.M, d.Stride)
	case math.IsNaN(float64(d.Threshold)) || d.Threshold < 0 || d.Threshold > 1:
		return fmt.Errorf("%w: dispersion threshold %v is outside [0, 1]", ErrShape, d.Threshold)
	}
	return nil
}

// takeDispersion copies the head's entropy and argmax into the result's buffers (the pipeline
// releases the map before the result) and checks them: finite entropies, classes below C, and
// exactly one probability column per pixel the head kept. The components need every pixel of
// entropy ≥ threshold t to be among those kept, so t must not be below the head's threshold.
func (r *Result) takeDispersion(d *frame.Dispersion, t float32) error {
	if t < d.Threshold {
		return fmt.Errorf("%w: the model's dispersion head keeps class probabilities for entropy ≥ %v only, and the threshold %v is lower; build the head with the threshold in use",
			ErrOptions, d.Threshold, t)
	}
	w, kept := r.W, 0
	for i, e := range d.Entropy {
		if !(e >= -1e-3 && e <= 1+1e-3) { // also NaN; a softmax entropy lies in [0, 1] up to rounding
			if math.IsNaN(float64(e)) || math.IsInf(float64(e), 0) {
				return fmt.Errorf("%w: dispersion entropy at row %d, col %d is %v", ErrNotFinite, i/w, i%w, e)
			}
			return fmt.Errorf("%w: dispersion entropy at row %d, col %d is %v, outside [0, 1]", ErrShape, i/w, i%w, e)
		}
		if e >= d.Threshold {
			kept++
		}
	}
	if kept != d.M {
		return fmt.Errorf("%w: dispersion head kept %d pixels, but %d have entropy ≥ %v", ErrShape, d.M, kept, d.Threshold)
	}
	copy(r.Entropy, d.Entropy)
	for i, a := range d.Argmax {
		if int(a) >= r.C {
			return fmt.Errorf("%w: dispersion argmax at row %d, col %d is class %d of %d", ErrShape, i/w, i%w, a, r.C)
		}
	}
	copy(r.Argmax, d.Argmax)
	return nil
}

// dispersionMetrics is componentMetrics for a dispersion input: the same walk over the component
// runs and the same sums, with E, D and V from the entropy and top-2 maps and the mean class
// probabilities from the kept columns. Runs come in row-major order and lie wholly among the kept
// pixels, so a cursor that counts kept pixels gives each run's first column; a run's pixels
// occupy consecutive columns.
func (r *Result) dispersionMetrics(d *frame.Dispersion) {
	c, w, hw := r.C, r.W, r.H*r.W
	pw := w + 2
	stride, nbP, nbI := r.startComponents()
	pm, amax, ent := r.pm, r.Argmax, r.Entropy
	top1, top2 := d.Top2[:hw], d.Top2[hw:]
	probs, m := d.MaskProbs, d.RowStride()
	pos, col := 0, 0 // pixels before pos hold col kept columns
	for _, ru := range r.lab.runs {
		k := int(ru.comp)
		a := r.acc[(k-1)*stride : k*stride]
		cprob, ndist := a[accFixed:accFixed+c], a[accFixed+c:]
		comp := &r.Components[k-1]
		y, x0, x1 := int(ru.y), int(ru.x0), int(ru.x1)
		comp.BBox.Min.X = min(comp.BBox.Min.X, x0)
		comp.BBox.Max.X = max(comp.BBox.Max.X, x1)
		comp.BBox.Min.Y = min(comp.BBox.Min.Y, y)
		comp.BBox.Max.Y = max(comp.BBox.Max.Y, y+1)
		i0, length := y*w+x0, x1-x0
		if i0 < pos { // not in row-major order after all: count again from the start
			pos, col = 0, 0
		}
		for _, e := range ent[pos:i0] {
			if e >= d.Threshold {
				col++
			}
		}
		for cl := 0; cl < c; cl++ {
			var sum float64
			for _, v := range probs[cl*m+col : cl*m+col+length] {
				sum += float64(v)
			}
			cprob[cl] += sum
		}
		pos, col = i0+length, col+length
		for j := 0; j < length; j++ {
			x, i := x0+j, i0+j
			q := (y+1)*pw + x + 1
			boundary := false
			for t, o := range nbP {
				if pm[q+o]&(bitSeg|bitOut) == 0 {
					boundary = true
					ndist[amax[i+nbI[t]]]++
				}
			}
			r.addPixel(a, i, k, x, y, boundary, pm[q]&bitGT != 0, float64(ent[i]), float64(1-top1[i]+top2[i]), float64(1-top1[i]))
		}
	}
	r.finishMetrics()
}
