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

// TestHeatMaps compares the full-frame E/D/V maps with float64 definitions, and with what the
// component metrics use (a single-pixel component's E equals the map's E at that pixel).
func TestHeatMaps(t *testing.T) {
	const c, h, w = 19, 20, 33
	logits, probs := synthLogits(c, h, w, 3, 9)
	hw := h * w
	for _, lg := range []bool{false, true} {
		data := probs
		if lg {
			data = logits
		}
		e, d, v := make([]float32, hw), make([]float32, hw), make([]float32, hw)
		if err := HeatMaps(Input{C: c, H: h, W: w, Data: data, Logits: lg}, e, d, v); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < hw; i++ {
			var we, p1, p2 float64
			for k := 0; k < c; k++ {
				p := float64(probs[k*hw+i])
				we += p * math.Log(p+eps32)
				if p > p1 {
					p1, p2 = p, p1
				} else if p > p2 {
					p2 = p
				}
			}
			we /= math.Log(1.0 / c)
			if !closeEnough(float64(e[i]), we) || !closeEnough(float64(d[i]), 1-p1+p2) || !closeEnough(float64(v[i]), 1-p1) {
				t.Fatalf("logits=%v pixel %d: E %v D %v V %v, want %v %v %v", lg, i, e[i], d[i], v[i], we, 1-p1+p2, 1-p1)
			}
		}
	}
	if err := HeatMaps(Input{C: c, H: h, W: w, Data: probs}, make([]float32, 3), nil, nil); err == nil {
		t.Error("a short output map was accepted")
	}
}
