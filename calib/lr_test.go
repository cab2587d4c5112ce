package calib

import (
	"errors"
	"math"
	"testing"
)

// TestLRHandSolved: two points x = +1 (FP) and x = −1 (TP). By symmetry the intercept is 0 and the
// weight solves w = 2σ(−w) (liblinear's objective with C = 1, intercept penalised).
func TestLRHandSolved(t *testing.T) {
	w, err := FitLR([]float64{1, -1}, 1, []float64{1, 0}, nil, LROptions{})
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := 0.0, 2.0 // bisection on f(w) = w − 2σ(−w), increasing
	for range 200 {
		mid := (lo + hi) / 2
		if mid-2/(1+math.Exp(mid)) > 0 {
			hi = mid
		} else {
			lo = mid
		}
	}
	if math.Abs(w[0]-lo) > 1e-9 || math.Abs(w[1]) > 1e-9 {
		t.Fatalf("w = %v, want [%v 0]", w, lo)
	}
	// With C → larger the weight grows: regularisation is applied.
	w10, _ := FitLR([]float64{1, -1}, 1, []float64{1, 0}, nil, LROptions{C: 10})
	if !(w10[0] > w[0]) {
		t.Fatalf("C=10 weight %v not above C=1 weight %v", w10[0], w[0])
	}
}

// TestLROptimality checks the stationarity conditions on random data: w + C·Σ(σ(w·x̃) − y)·x̃ = 0.
func TestLROptimality(t *testing.T) {
	z, y := synthRows(300, 6, 3)
	w, err := FitLR(z, 6, y, nil, LROptions{C: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	g := append([]float64(nil), w...)
	for i := range y {
		r := z[i*6 : (i+1)*6]
		d := 0.5 * (LRProb(w, r) - y[i])
		for j, v := range r {
			g[j] += d * v
		}
		g[6] += d
	}
	if n := norm(g); n > 1e-6 {
		t.Fatalf("gradient norm %v at the solution %v", n, w)
	}
}

func TestLROneClass(t *testing.T) {
	_, err := FitLR([]float64{1, 2}, 1, []float64{1, 1}, nil, LROptions{})
	if !errors.Is(err, ErrData) {
		t.Fatalf("got %v, want ErrData", err)
	}
}

// TestLRWarmLOO: the Sherman–Morrison warm start gives the same fold optimum as a cold fit.
func TestLRWarmLOO(t *testing.T) {
	z, y := synthRows(200, 5, 4)
	lw, err := newLRWarm(z, 5, y, LROptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 17, 199} {
		train := complement(200, []int{i})
		warm, err := lw.fold(train, []int{i})
		if err != nil {
			t.Fatal(err)
		}
		cold, err := FitLR(z, 5, y, train, LROptions{})
		if err != nil {
			t.Fatal(err)
		}
		for j := range warm {
			if math.Abs(warm[j]-cold[j]) > 1e-6 {
				t.Fatalf("fold %d: warm %v cold %v", i, warm, cold)
			}
		}
	}
}
