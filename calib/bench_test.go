package calib

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/metaood/metaood/internal/cputime"
)

// synthRows makes n standardized-looking rows of p features with a learnable label.
func synthRows(n, p int, seed uint64) ([]float64, []float64) {
	rng := rand.New(rand.NewPCG(seed, 2))
	z := make([]float64, n*p)
	y := make([]float64, n)
	for i := range n {
		s := 0.0
		for j := range p {
			v := rng.NormFloat64()
			z[i*p+j] = v
			if j < 5 {
				s += v
			}
		}
		if s+rng.NormFloat64() > -1 {
			y[i] = 1
		}
	}
	return z, y
}

// BenchmarkFitMLP10k is one fold of the paper's MLP on 10,000 components × 75 features (50 epochs).
func BenchmarkFitMLP10k(b *testing.B) {
	z, y := synthRows(10000, 75, 1)
	cpu0 := cputime.Process()
	for b.Loop() {
		if _, err := FitMLP(z, 75, y, nil, MLPOptions{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time: on a shared machine the wall time also counts waits for the core.
	b.ReportMetric((cputime.Process()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkFitMLP10kParallel is the same with each batch split over all cores (what calib train does).
func BenchmarkFitMLP10kParallel(b *testing.B) {
	z, y := synthRows(10000, 75, 1)
	cpu0 := cputime.Process()
	for b.Loop() {
		if _, err := FitMLP(z, 75, y, nil, MLPOptions{Seed: 1, Workers: runtime.NumCPU()}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cputime.Process()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkMLPLOO2kFold is one leave-one-out fold over 2,000 components (1,999 training rows); LOO over
// 2k components costs 2,000 of these, spread over the cores.
func BenchmarkMLPLOO2kFold(b *testing.B) {
	z, y := synthRows(2000, 75, 2)
	train := complement(2000, []int{0})
	for b.Loop() {
		if _, err := FitMLP(z, 75, y, train, MLPOptions{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLRLOO2k is the complete leave-one-out of logistic regression over 2,000 components.
func BenchmarkLRLOO2k(b *testing.B) {
	d := synthDataset(2000, 75, 100, 3)
	for b.Loop() {
		if _, err := CrossValidate(context.Background(), d, CVOptions{Model: ModelLR, CV: CVSpec{LOO: true}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFitLR10k is one logistic regression on 10,000 × 75.
func BenchmarkFitLR10k(b *testing.B) {
	z, y := synthRows(10000, 75, 1)
	for b.Loop() {
		if _, err := FitLR(z, 75, y, nil, LROptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
