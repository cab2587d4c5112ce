package postproc

import (
	"math"
	"testing"
)

// TestEntropyKernels checks the scalar and the active (AVX2 where built and supported) entropy
// kernels against float64 math on a realistic map, for probabilities and logits, including a
// pixel count that is no multiple of the vector width or of the block size.
func TestEntropyKernels(t *testing.T) {
	const c, h, w = 19, 37, 61
	logits, probs := synthLogits(c, h, w, 6, 5)
	hw := h * w
	want := make([]float64, hw)
	wantArg := make([]uint8, hw)
	for i := 0; i < hw; i++ {
		var s, ent float64
		for k := 0; k < c; k++ {
			s += float64(probs[k*hw+i])
			if probs[k*hw+i] > probs[int(wantArg[i])*hw+i] {
				wantArg[i] = uint8(k)
			}
		}
		for k := 0; k < c; k++ {
			if q := float64(probs[k*hw+i]) / s; q > 0 {
				ent -= q * math.Log(q)
			}
		}
		want[i] = ent / math.Log(c)
	}
	type kernel func([]float32, int, int, int, []float32, []uint8, float32) bool
	for _, kc := range []struct {
		name   string
		k      kernel
		data   []float32
		logits bool
	}{
		{"scalar probs", scalarProbsBlock, probs, false},
		{"active probs", probsBlock, probs, false},
		{"scalar logits", scalarLogitsBlock, logits, true},
		{"active logits", logitsBlock, logits, true},
	} {
		ent := make([]float32, hw)
		am := make([]uint8, hw)
		inv := float32(1 / math.Log(c))
		for off := 0; off < hw; off += blk {
			n := min(blk, hw-off)
			if !kc.k(kc.data, c, hw, off, ent[off:off+n], am[off:off+n], inv) {
				t.Fatalf("%s: block at %d refused", kc.name, off)
			}
		}
		worst := 0.0
		for i := range ent {
			worst = max(worst, math.Abs(float64(ent[i])-want[i]))
			// The logits' argmax may differ from the float32 probabilities' only on near-ties.
			if am[i] != wantArg[i] && !(kc.logits && math.Abs(float64(probs[int(am[i])*hw+i]-probs[int(wantArg[i])*hw+i])) < 1e-6) {
				t.Fatalf("%s: argmax at %d = %d, want %d", kc.name, i, am[i], wantArg[i])
			}
		}
		if worst > 1e-6 {
			t.Errorf("%s: entropy off by up to %g", kc.name, worst)
		}
		t.Logf("%s: worst entropy error %.2g (SIMD active: %v)", kc.name, worst, simdActive)
	}
}
