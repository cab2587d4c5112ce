package calib

import (
	"fmt"
	"math"
)

// LROptions are the logistic regression settings. The objective is liblinear's (sklearn
// solver="liblinear"): ½‖w‖² + C·Σ log-loss, where w includes the intercept (a constant feature of
// value 1, intercept_scaling = 1), so the intercept is penalised like a weight (docs/METHOD.md §5).
type LROptions struct {
	C       float64 // inverse regularisation strength; sklearn's default 1
	Tol     float64 // stop when ‖∇f‖ ≤ Tol·‖∇f(0)‖; default 1e-8 (liblinear stops near 2e-5 on typical data; we want the optimum)
	MaxIter int     // Newton iterations; default 50
}

func (o LROptions) withDefaults() LROptions {
	if o.C == 0 {
		o.C = 1
	}
	if o.Tol == 0 {
		o.Tol = 1e-8
	}
	if o.MaxIter == 0 {
		o.MaxIter = 50
	}
	return o
}

// lrProblem is a logistic regression on the rows of z (n×p row-major, already standardized) listed in rows.
type lrProblem struct {
	z    []float64
	p    int
	y    []float64
	rows []int
	c    float64
}

func (pr *lrProblem) margin(w []float64, i int) float64 {
	r := pr.z[i*pr.p : (i+1)*pr.p]
	return dot(w[:pr.p], r) + w[pr.p]
}

// value returns the objective at w.
func (pr *lrProblem) value(w []float64) float64 {
	f := 0.5 * dot(w, w)
	for _, i := range pr.rows {
		m := pr.margin(w, i)
		if pr.y[i] == 0 {
			m = -m
		}
		f += pr.c * softplus(-m)
	}
	return f
}

// grad writes ∇f(w) into g and returns its norm.
func (pr *lrProblem) grad(w, g []float64) float64 {
	copy(g, w)
	p := pr.p
	for _, i := range pr.rows {
		d := pr.c * (sigmoid(pr.margin(w, i)) - pr.y[i])
		r := pr.z[i*p : (i+1)*p]
		for j, v := range r {
			g[j] += d * v
		}
		g[p] += d
	}
	return norm(g)
}

// hess writes the Hessian I + C·Σ s(1−s)·x̃x̃ᵀ into h ((p+1)², row-major).
func (pr *lrProblem) hess(w, h, xa []float64) {
	q := pr.p + 1
	clear(h)
	for _, i := range pr.rows {
		s := sigmoid(pr.margin(w, i))
		a := pr.c * s * (1 - s)
		copy(xa, pr.z[i*pr.p:(i+1)*pr.p])
		xa[pr.p] = 1
		for r := range q {
			ar := a * xa[r]
			hr := h[r*q : r*q+r+1]
			for k := range hr {
				hr[k] += ar * xa[k]
			}
		}
	}
	for r := range q {
		h[r*q+r]++
		for k := range r {
			h[k*q+r] = h[r*q+k]
		}
	}
}

// newton runs damped Newton steps from w (modified in place) until ‖∇f‖ ≤ tol.
func (pr *lrProblem) newton(w []float64, tol float64, maxIter int) (int, error) {
	q := pr.p + 1
	g, h, d, xa, wt := make([]float64, q), make([]float64, q*q), make([]float64, q), make([]float64, q), make([]float64, q)
	for it := range maxIter {
		if pr.grad(w, g) <= tol {
			return it, nil
		}
		pr.hess(w, h, xa)
		if err := cholesky(h, q); err != nil {
			return it, err
		}
		copy(d, g)
		cholSolve(h, q, d)
		if !pr.lineSearch(w, d, g, wt) {
			return it, nil // no decrease left: optimal to machine precision
		}
	}
	if pr.grad(w, g) <= tol {
		return maxIter, nil
	}
	return maxIter, fmt.Errorf("%w: logistic regression did not converge in %d Newton steps (‖∇f‖ = %.3g)", ErrData, maxIter, norm(g))
}

// lineSearch sets w ← w − t·d with the first t ∈ {1, ½, …} meeting Armijo's condition; false when none does.
func (pr *lrProblem) lineSearch(w, d, g, wt []float64) bool {
	f0 := pr.value(w)
	slope := dot(g, d)
	for t := 1.0; t > 1e-10; t /= 2 {
		for j := range w {
			wt[j] = w[j] - t*d[j]
		}
		if pr.value(wt) <= f0-1e-4*t*slope {
			copy(w, wt)
			return true
		}
	}
	return false
}

// FitLR fits logistic regression on the standardized rows (z is n×p, y holds 0/1 with 1 = FP) listed in
// rows (all when nil). It returns p weights followed by the intercept.
func FitLR(z []float64, p int, y []float64, rows []int, opt LROptions) ([]float64, error) {
	opt = opt.withDefaults()
	if rows == nil {
		rows = allRows(len(y))
	}
	if err := checkTwoClasses(y, rows); err != nil {
		return nil, err
	}
	pr := &lrProblem{z: z, p: p, y: y, rows: rows, c: opt.C}
	w := make([]float64, p+1)
	g0 := pr.grad(w, make([]float64, p+1))
	if _, err := pr.newton(w, opt.Tol*g0, opt.MaxIter); err != nil {
		return nil, err
	}
	return w, nil
}

// LRProb returns P(FP) of a standardized row under weights w (p weights + intercept).
func LRProb(w, row []float64) float64 {
	p := len(row)
	return sigmoid(dot(w[:p], row) + w[p])
}

func checkTwoClasses(y []float64, rows []int) error {
	pos := 0
	for _, i := range rows {
		if y[i] == 1 {
			pos++
		}
	}
	if pos == 0 || pos == len(rows) {
		return fmt.Errorf("%w: the training rows hold only one class (%d of %d are false positives); a classifier needs both", ErrData, pos, len(rows))
	}
	return nil
}

func allRows(n int) []int {
	r := make([]int, n)
	for i := range r {
		r[i] = i
	}
	return r
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// softplus is log(1 + e^x) without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}
