package postproc

import (
	"fmt"
	"math"
)

// HeatMaps writes the three pixel-wise dispersion maps of docs/METHOD.md §3 for every pixel: E (entropy as
// the reference's metrics compute it: Σ p ln(p+ε) / ln(1/C), no renormalization), D = 1 − p(1) + p(2)
// and V = 1 − p(1). Any of e, d, v may be nil; the others must have H×W elements. Process does not
// need these maps (it evaluates them on component pixels only); they are for inspection and plots.
// Values are not checked for NaN or sums here beyond the logits' finiteness; Process checks them.
func HeatMaps(in Input, e, d, v []float32) error {
	if err := in.validate(); err != nil {
		return err
	}
	hw := in.H * in.W
	for _, m := range [][]float32{e, d, v} {
		if m != nil && len(m) != hw {
			return fmt.Errorf("%w: heat map of %d pixels for a %dx%d map", ErrShape, len(m), in.W, in.H)
		}
	}
	c := in.C
	invLog := float32(1 / math.Log(1/float64(c)))
	P := make([]float32, c*blk)
	var eA, p1A, p2A, sA, mxA [blk]float32
	var amA [blk]uint8
	for off := 0; off < hw; off += blk {
		n := min(blk, hw-off)
		ev, p1, p2 := eA[:n], p1A[:n], p2A[:n]
		clear(ev)
		clear(p1)
		clear(p2)
		if in.Logits {
			s, mx, am := sA[:n], mxA[:n], amA[:n]
			copy(mx, in.Data[off:off+n])
			copy(s, mx)
			clear(am)
			for k := 1; k < c; k++ {
				kMaxSum(mx, s, am, in.Data[k*hw+off:k*hw+off+n], uint8(k))
			}
			for _, x := range s {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					return logitsError(in.Data, c, in.W, hw, off, n)
				}
			}
			clear(s)
			for k := 0; k < c; k++ {
				kExpTo(P[k*blk:k*blk+n], s, mx, in.Data[k*hw+off:k*hw+off+n])
			}
			for k := 0; k < c; k++ {
				pl := P[k*blk : k*blk+n]
				for j := range pl {
					pl[j] /= s[j]
				}
			}
		} else {
			for k := 0; k < c; k++ {
				copy(P[k*blk:k*blk+n], in.Data[k*hw+off:k*hw+off+n])
			}
		}
		for k := 0; k < c; k++ {
			pl := P[k*blk : k*blk+n]
			kPlogpEps(ev, pl)
			kTop2(p1, p2, pl)
		}
		for j := 0; j < n; j++ {
			if e != nil {
				e[off+j] = ev[j] * invLog
			}
			if d != nil {
				d[off+j] = 1 - p1[j] + p2[j]
			}
			if v != nil {
				v[off+j] = 1 - p1[j]
			}
		}
	}
	return nil
}
