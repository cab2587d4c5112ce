package calib

import (
	"fmt"
	"math"
)

// cholesky factors the symmetric positive definite q×q matrix a (row-major) in place into its lower
// triangle L with a = L·Lᵀ.
//
// Kept instead of gonum's mat.Cholesky because it is faster at the sizes calib factors (LR Hessians
// of 76×76 for 75 metrics, LARS Gram matrices up to 75×75) and allocates nothing. Factor and solve,
// one core, median of 8 (BenchmarkCholesky): q=8 0.39 µs vs 6.5 µs; q=40 18.7 µs vs 54.4 µs; q=76
// 103 µs vs 187 µs. TestCholeskyMatchesGonum checks both give the same solution.
func cholesky(a []float64, q int) error {
	for j := range q {
		s := a[j*q+j]
		for k := range j {
			s -= a[j*q+k] * a[j*q+k]
		}
		if !(s > 0) {
			return fmt.Errorf("%w: matrix not positive definite at column %d", ErrData, j)
		}
		d := math.Sqrt(s)
		a[j*q+j] = d
		for i := j + 1; i < q; i++ {
			s := a[i*q+j]
			for k := range j {
				s -= a[i*q+k] * a[j*q+k]
			}
			a[i*q+j] = s / d
		}
	}
	return nil
}

// cholSolve solves L·Lᵀ·x = b in place (b becomes x) with L from cholesky.
func cholSolve(l []float64, q int, b []float64) {
	for i := range q {
		s := b[i]
		for k := range i {
			s -= l[i*q+k] * b[k]
		}
		b[i] = s / l[i*q+i]
	}
	for i := q - 1; i >= 0; i-- {
		s := b[i]
		for k := i + 1; k < q; k++ {
			s -= l[k*q+i] * b[k]
		}
		b[i] = s / l[i*q+i]
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	b = b[:len(a)]
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }
