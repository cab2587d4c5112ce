package calib

// lrWarm holds the full-data LR fit used to warm-start every fold under global standardization: a fold
// differs from the full problem by a few rows, so Newton from the full optimum converges in 1–3 steps.
// For one left-out row it first runs chord steps with the fold Hessian at the full optimum (a
// Sherman–Morrison downdate of the full Hessian's Cholesky factor: O(p²) instead of O(n·p²) a step).
type lrWarm struct {
	full *lrProblem
	w    []float64 // full optimum
	chol []float64 // Cholesky factor of the full Hessian at w
	tol  float64   // absolute gradient tolerance
	opt  LROptions
}

func newLRWarm(z []float64, p int, y []float64, opt LROptions) (*lrWarm, error) {
	opt = opt.withDefaults()
	rows := allRows(len(y))
	w, err := FitLR(z, p, y, rows, opt)
	if err != nil {
		return nil, err
	}
	pr := &lrProblem{z: z, p: p, y: y, rows: rows, c: opt.C}
	q := p + 1
	h := make([]float64, q*q)
	pr.hess(w, h, make([]float64, q))
	if err := cholesky(h, q); err != nil {
		return nil, err
	}
	g0 := pr.grad(make([]float64, q), make([]float64, q))
	return &lrWarm{full: pr, w: w, chol: h, tol: opt.Tol * g0, opt: opt}, nil
}

// fold returns the optimum of the problem on rows train (test = the rows left out).
func (lw *lrWarm) fold(train, test []int) ([]float64, error) {
	pr := &lrProblem{z: lw.full.z, p: lw.full.p, y: lw.full.y, rows: train, c: lw.opt.C}
	q := pr.p + 1
	w := append([]float64(nil), lw.w...)
	if len(test) == 1 {
		i := test[0]
		// Chord iterations: Newton steps that keep the fold's Hessian at the full optimum, applied by a
		// Sherman–Morrison downdate of the full Hessian's Cholesky factor (O(p²) a step, plus the O(n·p)
		// gradient). The Hessian barely moves when one row leaves, so a few steps reach the tolerance;
		// full Newton steps below finish any fold that is slower.
		s := sigmoid(lw.full.margin(w, i))
		a := lw.opt.C * s * (1 - s)
		u := make([]float64, q)
		copy(u, pr.z[i*pr.p:(i+1)*pr.p])
		u[pr.p] = 1
		hu := append([]float64(nil), u...)
		cholSolve(lw.chol, q, hu)
		den := 1 - a*dot(u, hu)
		g := make([]float64, q)
		for range 8 {
			if pr.grad(w, g) <= lw.tol {
				break
			}
			// (H − a·u·uᵀ)⁻¹g = H⁻¹g + a·(H⁻¹u)(uᵀH⁻¹g)/(1 − a·uᵀH⁻¹u)
			cholSolve(lw.chol, q, g)
			f := a * dot(u, g) / den
			for j := range w {
				w[j] -= g[j] + f*hu[j]
			}
		}
	}
	if _, err := pr.newton(w, lw.tol, lw.opt.MaxIter); err != nil {
		return nil, err
	}
	return w, nil
}
