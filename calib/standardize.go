package calib

import "math"

// StdEps is added to the population std, as the reference does: (x − μ)/(σ + 1e−10) (docs/METHOD.md §5).
const StdEps = 1e-10

// ConstantStd is the std below which a feature counts as constant in the training rows. Such a
// feature gets std 1 (as sklearn's StandardScaler does): with σ + 1e−10 a value unseen in
// training would be blown up by 1e10 into an input the MLP's untrained weights turn into nonsense.
const ConstantStd = 1e-8

// Scaler holds per-feature mean and std (population std + StdEps; 1 for a constant feature).
type Scaler struct {
	Mean, Std []float64
}

// FitScaler computes mean and population std (ddof 0) of the rows listed in rows (all rows when nil).
func FitScaler(x []float64, p int, rows []int) Scaler {
	n := len(x) / p
	s := Scaler{Mean: make([]float64, p), Std: make([]float64, p)}
	cnt := 0
	each := func(f func(r []float64)) {
		if rows == nil {
			for i := range n {
				f(x[i*p : (i+1)*p])
			}
			return
		}
		for _, i := range rows {
			f(x[i*p : (i+1)*p])
		}
	}
	each(func(r []float64) {
		cnt++
		for j, v := range r {
			s.Mean[j] += v
		}
	})
	for j := range s.Mean {
		s.Mean[j] /= float64(cnt)
	}
	// Two-pass variance: stable for features like S with large means.
	each(func(r []float64) {
		for j, v := range r {
			d := v - s.Mean[j]
			s.Std[j] += d * d
		}
	})
	for j := range s.Std {
		sd := math.Sqrt(s.Std[j] / float64(cnt))
		if sd < ConstantStd {
			s.Std[j] = 1
		} else {
			s.Std[j] = sd + StdEps
		}
	}
	return s
}

// Apply returns a standardized copy of x (rows of length len(s.Mean)).
func (s Scaler) Apply(x []float64) []float64 {
	p := len(s.Mean)
	z := make([]float64, len(x))
	for i := 0; i < len(x); i += p {
		for j := range p {
			z[i+j] = (x[i+j] - s.Mean[j]) / s.Std[j]
		}
	}
	return z
}
