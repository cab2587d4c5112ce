package calib

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMLPParamCount(t *testing.T) {
	m := NewMLP([]int{75, 75, 75, 75, 1}, rand.New(rand.NewPCG(1, 1)))
	if m.NumParams() != 17176 {
		t.Fatalf("%d parameters, want 17,176 (SPEC §3.7)", m.NumParams())
	}
	// PyTorch's default init: every parameter within ±1/√fan_in.
	for k := range 4 {
		w, b := m.layer(k)
		bound := 1 / math.Sqrt(float64(m.Dims[k]))
		for _, v := range append(append([]float64(nil), w...), b...) {
			if math.Abs(v) > bound {
				t.Fatalf("layer %d parameter %v beyond ±%v", k, v, bound)
			}
		}
	}
}

// TestMLPForwardByHand: 2→2→1 with set weights.
func TestMLPForwardByHand(t *testing.T) {
	m := NewMLP([]int{2, 2, 1}, rand.New(rand.NewPCG(1, 1)))
	copy(m.Params, []float64{1, -1, 0.5, 2, 0, -3, 2, -1, 0.25}) // W1 (2×2), b1, W2 (1×2), b2
	// x = (2, 2): h = relu(0, 2) = (0, 2)... b1 = (0, −3): h = (relu(0), relu(1+4−3)) = (0, 2); out = −2 + 0.25
	got := m.NewPredictor().Prob([]float64{2, 2})
	if want := 1 / (1 + math.Exp(1.75)); math.Abs(got-want) > 1e-15 {
		t.Fatalf("got %v want %v", got, want)
	}
}

// TestMLPGradient compares backward with central finite differences of the mean BCE.
func TestMLPGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	m := NewMLP([]int{4, 5, 3, 1}, rng)
	const nb = 6
	w := m.newWork(nb)
	y := []float64{1, 0, 1, 1, 0, 0}
	for i := range w.act[0] {
		w.act[0][i] = rng.NormFloat64()
	}
	x := append([]float64(nil), w.act[0]...)
	loss := func() float64 {
		copy(w.act[0], x)
		m.forward(w, nb)
		l := 0.0
		for r, p := range w.act[len(w.act)-1][:nb] {
			l -= y[r]*math.Log(p) + (1-y[r])*math.Log(1-p)
		}
		return l / nb
	}
	loss()
	m.backward(w, nb, y, nb)
	g := append([]float64(nil), w.grad...)
	for i := range m.Params {
		old := m.Params[i]
		const h = 1e-6
		m.Params[i] = old + h
		lp := loss()
		m.Params[i] = old - h
		lm := loss()
		m.Params[i] = old
		if num := (lp - lm) / (2 * h); math.Abs(num-g[i]) > 1e-7 {
			t.Fatalf("parameter %d: backward %v, finite difference %v", i, g[i], num)
		}
	}
}

// TestAdamStep checks two steps against values computed by hand from torch.optim.Adam's update.
func TestAdamStep(t *testing.T) {
	a := &Adam{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.5}
	p := []float64{1}
	a.Step(p, []float64{0.2})
	// g = 0.2 + 0.5·1 = 0.7; m = 0.07, v = 0.00049; m̂ = 0.7, √v̂ = 0.7 → p = 1 − 0.1·0.7/(0.7+1e-8)
	want1 := 1 - 0.1*0.7/(0.7+1e-8)
	if math.Abs(p[0]-want1) > 1e-15 {
		t.Fatalf("step 1: %v want %v", p[0], want1)
	}
	a.Step(p, []float64{-0.4})
	g := -0.4 + 0.5*want1
	m := 0.9*0.07 + 0.1*g
	v := 0.999*0.00049 + 0.001*g*g
	want2 := want1 - (0.1/(1-0.81))*m/(math.Sqrt(v)/math.Sqrt(1-0.999*0.999)+1e-8)
	if math.Abs(p[0]-want2) > 1e-14 {
		t.Fatalf("step 2: %v want %v", p[0], want2)
	}
}

func TestMLPReproducible(t *testing.T) {
	z, y := synthRows(300, 8, 5)
	opt := MLPOptions{Seed: 7, Epochs: 5, Batch: 32}
	a, err := FitMLP(z, 8, y, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := FitMLP(z, 8, y, nil, opt)
	opt.Seed = 8
	c, _ := FitMLP(z, 8, y, nil, opt)
	same, diff := true, false
	for i := range a.Params {
		same = same && a.Params[i] == b.Params[i]
		diff = diff || a.Params[i] != c.Params[i]
	}
	if !same || !diff {
		t.Fatalf("same seed equal: %v, other seed different: %v", same, diff)
	}
}

// TestMLPLearns: on a separable-ish problem the trained net ranks well and beats its initialisation.
func TestMLPLearns(t *testing.T) {
	z, y := synthRows(1000, 10, 6)
	m, err := FitMLP(z, 10, y, nil, MLPOptions{Seed: 1, Epochs: 20})
	if err != nil {
		t.Fatal(err)
	}
	pr := m.NewPredictor()
	p := make([]float64, len(y))
	for i := range y {
		p[i] = pr.Prob(z[i*10 : (i+1)*10])
	}
	if a := AUROC(y, p); a < 0.9 {
		t.Fatalf("training AUROC %v < 0.9", a)
	}
}

// TestMLPWorkersAgree: data-parallel batches compute the same gradient up to summation order.
func TestMLPWorkersAgree(t *testing.T) {
	z, y := synthRows(256, 6, 11)
	opt := MLPOptions{Seed: 3, Epochs: 3, Batch: 64}
	a, err := FitMLP(z, 6, y, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Workers = 3 // uneven chunks: 22, 22, 20
	b, err := FitMLP(z, 6, y, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	// Training runs in float32: a different summation order moves parameters by float32 rounding
	// (~1e-8 here), not by anything a wrong gradient would cause.
	worst := 0.0
	for i := range a.Params {
		worst = max(worst, math.Abs(a.Params[i]-b.Params[i]))
		if math.Abs(a.Params[i]-b.Params[i]) > 1e-5 {
			t.Fatalf("parameter %d: 1 worker %v, 3 workers %v", i, a.Params[i], b.Params[i])
		}
	}
	t.Logf("largest difference %.2g", worst)
}
