package calib

import (
	"fmt"
	"math"
)

// LARSResult is a least angle regression path (Efron, Hastie, Johnstone, Tibshirani 2004, "LAR"
// variant, as sklearn.linear_model.lars_path(method="lar")).
type LARSResult struct {
	Order  []int       // feature indices in the order they entered the active set
	Coefs  [][]float64 // Coefs[k] = coefficients (len p) after k features entered; Coefs[0] is all zero
	Alphas []float64   // max |correlation|/n at each breakpoint, decreasing
	// Dropped lists features that tied for entry but are linearly dependent on the active ones (sklearn
	// warns "Regressors in active set degenerate" and drops them too); they never enter.
	Dropped []int
}

// Ranking returns all p feature indices: the entry order, then the dropped features, then the rest
// (features that never correlated with the residual, e.g. constant ones) in index order.
func (r *LARSResult) Ranking(p int) []int {
	seen := make([]bool, p)
	var out []int
	for _, j := range append(append([]int(nil), r.Order...), r.Dropped...) {
		if !seen[j] {
			seen[j] = true
			out = append(out, j)
		}
	}
	for j := range p {
		if !seen[j] {
			out = append(out, j)
		}
	}
	return out
}

// LARS runs least angle regression of y on the columns of x (n×p row-major; standardize it first) with
// y centred, until min(p, n−1) features are active or the residual is uncorrelated with every feature.
func LARS(x []float64, p int, y []float64) (*LARSResult, error) {
	n := len(y)
	if n == 0 || len(x) != n*p {
		return nil, fmt.Errorf("%w: LARS needs n×p data, got %d values for %d rows × %d features", ErrData, len(x), n, p)
	}
	ym := 0.0
	for _, v := range y {
		ym += v
	}
	ym /= float64(n)
	col := func(j, i int) float64 { return x[i*p+j] }
	// c = Xᵀ(y − μ), the current correlations
	c := make([]float64, p)
	for i, v := range y {
		for j := range p {
			c[j] += col(j, i) * (v - ym)
		}
	}
	gram := make([]float64, p*p) // Xᵀ X, needed on the active block
	for i := range n {
		r := x[i*p : (i+1)*p]
		for a := range p {
			for b := a; b < p; b++ {
				gram[a*p+b] += r[a] * r[b]
			}
		}
	}
	for a := range p {
		for b := range a {
			gram[a*p+b] = gram[b*p+a]
		}
	}
	res := &LARSResult{Coefs: [][]float64{make([]float64, p)}}
	beta := make([]float64, p)
	active := make([]bool, p)
	dropped := make([]bool, p)
	var act []int
	maxSteps := min(p, n-1)
	c0 := 0.0
	for _, v := range c {
		c0 = math.Max(c0, math.Abs(v))
	}
	tiny := 1e-12 * math.Max(c0, 1e-300)
	for len(act) < maxSteps {
		// the next feature: largest |c| among the inactive ones
		cmax, jn := 0.0, -1
		for j := range p {
			if !active[j] && !dropped[j] && math.Abs(c[j]) > cmax {
				cmax, jn = math.Abs(c[j]), j
			}
		}
		if jn < 0 || cmax < tiny {
			break
		}
		if len(act) == 0 {
			res.Alphas = append(res.Alphas, cmax/float64(n))
		}
		cand := append(act[:len(act):len(act)], jn)
		k := len(cand)
		s := make([]float64, k)
		for a, j := range cand {
			s[a] = sign(c[j])
		}
		// G_A = diag(s) X_Aᵀ X_A diag(s); w = A_A · G_A⁻¹ 1
		g := make([]float64, k*k)
		for a, ja := range cand {
			for b, jb := range cand {
				g[a*k+b] = s[a] * s[b] * gram[ja*p+jb]
			}
		}
		if !choleskyRel(g, k, 1e-10) {
			dropped[jn] = true
			res.Dropped = append(res.Dropped, jn)
			continue
		}
		active[jn] = true
		act = cand
		res.Order = append(res.Order, jn)
		C := math.Abs(c[jn])
		w := make([]float64, k)
		for a := range w {
			w[a] = 1
		}
		cholSolve(g, k, w)
		aa := 1 / math.Sqrt(sum(w))
		for a := range w {
			w[a] *= aa
		}
		// a_j = x_jᵀ u with u = X_A diag(s) w, via the Gram matrix
		av := make([]float64, p)
		for j := range p {
			for b, jb := range act {
				av[j] += gram[j*p+jb] * s[b] * w[b]
			}
		}
		gamma := C / aa
		for j := range p {
			if active[j] || dropped[j] {
				continue
			}
			for _, gm := range []float64{(C - c[j]) / (aa - av[j]), (C + c[j]) / (aa + av[j])} {
				if gm > tiny && gm < gamma {
					gamma = gm
				}
			}
		}
		for b, jb := range act {
			beta[jb] += gamma * s[b] * w[b]
		}
		for j := range p {
			c[j] -= gamma * av[j]
		}
		res.Coefs = append(res.Coefs, append([]float64(nil), beta...))
		res.Alphas = append(res.Alphas, (C-gamma*aa)/float64(n))
	}
	return res, nil
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

func sum(a []float64) float64 {
	s := 0.0
	for _, v := range a {
		s += v
	}
	return s
}

// choleskyRel factors g like cholesky but fails when a pivot falls below rel times its diagonal entry,
// i.e. when the new column is (numerically) a combination of the earlier ones.
func choleskyRel(g []float64, q int, rel float64) bool {
	diag := make([]float64, q)
	for j := range q {
		diag[j] = g[j*q+j]
	}
	if cholesky(g, q) != nil {
		return false
	}
	for j := range q {
		if g[j*q+j]*g[j*q+j] <= rel*diag[j] {
			return false
		}
	}
	return true
}
