package calib

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// spdMatrix returns a q×q symmetric positive definite matrix (row-major) shaped like the ones
// calib factors: XᵀX of standardized rows plus the identity (the LR Hessian's regulariser).
func spdMatrix(q int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 3))
	n := 4 * q
	x := make([]float64, n*q)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	a := make([]float64, q*q)
	for r := range q {
		for c := range q {
			s := 0.0
			for i := range n {
				s += x[i*q+r] * x[i*q+c]
			}
			a[r*q+c] = s
		}
		a[r*q+r]++
	}
	return a
}

// Sizes calib factors: the LR Hessian is (p+1)×(p+1) with p = 37+2C metrics (76 for C = 19, 40
// for a 1-class toy); LARS factors the active set's Gram matrix, 1×1 up to p×p.
var cholSizes = []int{8, 40, 76}

// BenchmarkCholesky compares the hand-written cholesky+cholSolve with gonum's mat.Cholesky
// (Factorize + SolveVecTo) on one factor-and-solve, as Newton's step and LARS do it.
func BenchmarkCholesky(b *testing.B) {
	for _, q := range cholSizes {
		a := spdMatrix(q, uint64(q))
		rhs := make([]float64, q)
		for i := range rhs {
			rhs[i] = float64(i%7) - 3
		}
		b.Run(fmt.Sprintf("hand/q=%d", q), func(b *testing.B) {
			w, x := make([]float64, q*q), make([]float64, q)
			for b.Loop() {
				copy(w, a)
				copy(x, rhs)
				if err := cholesky(w, q); err != nil {
					b.Fatal(err)
				}
				cholSolve(w, q, x)
			}
		})
		b.Run(fmt.Sprintf("gonum/q=%d", q), func(b *testing.B) {
			w := make([]float64, q*q)
			var ch mat.Cholesky
			x := mat.NewVecDense(q, nil)
			bv := mat.NewVecDense(q, rhs)
			for b.Loop() {
				copy(w, a) // what a caller holding a row-major slice pays, like the hand-written one
				if !ch.Factorize(mat.NewSymDense(q, w)) {
					b.Fatal("not positive definite")
				}
				if err := ch.SolveVecTo(x, bv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCholeskyMatchesGonum: both give the same solution (so the benchmark compares like with like).
func TestCholeskyMatchesGonum(t *testing.T) {
	for _, q := range cholSizes {
		a := spdMatrix(q, uint64(q))
		rhs := make([]float64, q)
		for i := range rhs {
			rhs[i] = float64(i%7) - 3
		}
		w, x := append([]float64(nil), a...), append([]float64(nil), rhs...)
		if err := cholesky(w, q); err != nil {
			t.Fatal(err)
		}
		cholSolve(w, q, x)
		var ch mat.Cholesky
		if !ch.Factorize(mat.NewSymDense(q, append([]float64(nil), a...))) {
			t.Fatal("gonum: not positive definite")
		}
		var g mat.VecDense
		if err := ch.SolveVecTo(&g, mat.NewVecDense(q, rhs)); err != nil {
			t.Fatal(err)
		}
		for i := range q {
			if d := x[i] - g.AtVec(i); d > 1e-9 || d < -1e-9 {
				t.Fatalf("q=%d: x[%d] = %v by hand, %v by gonum", q, i, x[i], g.AtVec(i))
			}
		}
	}
}
