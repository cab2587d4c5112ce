package calib

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMLP32GradientMatchesFloat64: the float32 trainer's padded forward and backward give the
// float64 reference's gradient (TestMLPGradient checks that one against finite differences), for
// unpadded widths and a batch that is no multiple of 4.
func TestMLP32GradientMatchesFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	dims := []int{7, 19, 5, 1}
	m := NewMLP(dims, rng)
	const nb = 6
	z := make([]float64, nb*dims[0])
	for i := range z {
		z[i] = rng.NormFloat64()
	}
	y := []float64{1, 0, 0, 1, 1, 0}
	w := m.newWork(nb)
	copy(w.act[0], z)
	m.forward(w, nb)
	m.backward(w, nb, y, nb)

	n := newNet32(m)
	in0 := n.pd[0]
	z32 := make([]float32, nb*in0)
	for i := range nb {
		for j := range dims[0] {
			z32[i*in0+j] = float32(z[i*dims[0]+j])
		}
	}
	w32 := n.newWork(nb)
	n.step(w32, z32, []int{0, 1, 2, 3, 4, 5}, y, nb)
	back := &MLP{Dims: m.Dims, Params: make([]float64, len(m.Params)), off: m.off}
	n32 := *n
	n32.ps = w32.grad
	n32.store(back) // the float32 gradient in the float64 layout
	worst := 0.0
	for i, g := range w.grad {
		d := math.Abs(back.Params[i] - g)
		worst = max(worst, d)
		if d > 1e-5+1e-4*math.Abs(g) {
			t.Fatalf("parameter %d: float32 gradient %v, float64 %v", i, back.Params[i], g)
		}
	}
	t.Logf("largest difference %.2g", worst)
	// Padded weights get no gradient, so they stay 0.
	for k := range n.off {
		gw, gb := n.layer(w32.grad, k)
		for i := range n.pd[k] {
			for o := range n.pd[k+1] {
				if (i >= dims[k] || o >= dims[k+1]) && gw[i*n.pd[k+1]+o] != 0 {
					t.Fatalf("layer %d padded weight (%d, %d) has gradient %v", k, i, o, gw[i*n.pd[k+1]+o])
				}
			}
		}
		for o := dims[k+1]; o < n.pd[k+1]; o++ {
			if gb[o] != 0 {
				t.Fatalf("layer %d padded bias %d has gradient %v", k, o, gb[o])
			}
		}
	}
}

// TestMLP32KernelsAgree: the active matrix kernel (AVX2 where built) equals the plain loops.
func TestMLP32KernelsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	const m, k, n = 8, 21, 32
	a := make([]float32, m*k)
	b := make([]float32, k*n)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	for i := range b {
		b[i] = float32(rng.NormFloat64())
	}
	for _, layout := range []struct{ ar, ak int }{{k, 1}, {1, m}} {
		want := make([]float32, m*n)
		got := make([]float32, m*n)
		for i := range want {
			want[i] = float32(i)
			got[i] = float32(i)
		}
		mmAccScalar(want, a, b, m, k, n, layout.ar, layout.ak, n)
		mmAcc(got, a, b, m, k, n, layout.ar, layout.ak, n)
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("layout %+v element %d: %v, want %v", layout, i, got[i], want[i])
			}
		}
	}
}
