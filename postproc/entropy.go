package postproc

import (
	"fmt"
	"math"
)

// blk is how many pixels the per-pixel passes handle at once. The class planes are walked one after
// the other over the same blk pixels (channel-blocked): every plane read is sequential, and the
// per-pixel accumulators stay in L1.
const blk = 256

// entropyProbs fills ent (normalized entropy with renormalization, conformance README step 1) and
// amax (argmax, lowest class on ties) from class-major probabilities. One log per value: that is
// the cost of a probability input; a logit input needs one log per pixel (entropyLogits).
func entropyProbs(data []float32, c, w, hw int, ent []float32, amax []uint8) error {
	invLnC := float32(1 / math.Log(float64(c)))
	for off := 0; off < hw; off += blk {
		n := min(blk, hw-off)
		if !probsBlock(data, c, hw, off, ent[off:off+n], amax[off:off+n], invLnC) {
			return probsError(data, c, w, hw, off, n)
		}
	}
	return nil
}

// probsError finds the first bad pixel of a block and says what is wrong with it.
func probsError(data []float32, c, w, hw, off, n int) error {
	for i := off; i < off+n; i++ {
		var s float64
		for k := 0; k < c; k++ {
			p := float64(data[k*hw+i])
			if math.IsNaN(p) || math.IsInf(p, 0) {
				return fmt.Errorf("%w: class %d at row %d, col %d is %v", ErrNotFinite, k, i/w, i%w, p)
			}
			if math.Signbit(p) {
				return fmt.Errorf("%w: class %d at row %d, col %d is negative (%v); if these are logits, say so", ErrNotProbabilities, k, i/w, i%w, p)
			}
			s += p
		}
		if !(s > 1-ProbSumTolerance && s < 1+ProbSumTolerance) {
			return fmt.Errorf("%w: the %d classes at row %d, col %d sum to %.6g, not 1; if these are logits, say so", ErrNotProbabilities, c, i/w, i%w, s)
		}
	}
	return fmt.Errorf("%w: near row %d", ErrNotProbabilities, off/w) // unreachable: the block had a bad pixel
}

// entropyLogits fills ent and amax from class-major logits. With d_c = x_c − max and e_c = exp d_c,
// S = Σ e_c: H = ln S − Σ e_c·d_c / S. So one exp per value and one log per pixel.
func entropyLogits(data []float32, c, w, hw int, ent []float32, amax []uint8) error {
	invLnC := float32(1 / math.Log(float64(c)))
	for off := 0; off < hw; off += blk {
		n := min(blk, hw-off)
		if !logitsBlock(data, c, hw, off, ent[off:off+n], amax[off:off+n], invLnC) {
			return logitsError(data, c, w, hw, off, n)
		}
	}
	return nil
}

// logitsError names the first non-finite logit of a block.
func logitsError(data []float32, c, w, hw, off, n int) error {
	for i := off; i < off+n; i++ {
		for k := 0; k < c; k++ {
			if x := float64(data[k*hw+i]); math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("%w: class %d at row %d, col %d is %v", ErrNotFinite, k, i/w, i%w, x)
			}
		}
	}
	return fmt.Errorf("%w: logits too large to sum near row %d", ErrNotFinite, off/w)
}
