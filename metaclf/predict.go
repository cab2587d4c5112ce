package metaclf

import "math"

// PredictBatch writes P(false positive) of each row of x (n rows × len(Features()), row-major) into out
// (len ≥ n). It allocates nothing in steady state (scratch comes from a pool) and is safe for concurrent use.
// It panics when x or out is too short: that is a programming error, not a data error.
func (m *Model) PredictBatch(x []float64, n int, out []float64) {
	if len(x) < n*m.in || len(out) < n {
		panic("metaclf: PredictBatch: x or out shorter than n rows")
	}
	sp := m.scratch.Get().(*[]float64)
	s := *sp
	a, b := s[:m.maxW], s[m.maxW:]
	mean, std := m.f.Mean, m.f.Std
	for r := range n {
		row := x[r*m.in : (r+1)*m.in]
		for j, v := range row {
			a[j] = (v - mean[j]) / std[j]
		}
		out[r] = m.forward(a, b)
	}
	m.scratch.Put(sp)
}

// Predict returns P(false positive) of one row; a convenience over PredictBatch.
func (m *Model) Predict(row []float64) float64 {
	var out [1]float64
	m.PredictBatch(row, 1, out[:])
	return out[0]
}

// forward runs the layers on the standardized input in a, using b as the second buffer.
func (m *Model) forward(a, b []float64) float64 {
	last := len(m.w) - 1
	for k, w := range m.w {
		in, outN := m.dims[k], m.dims[k+1]
		bias := m.b[k]
		src := a[:in]
		for o := range outN {
			s := bias[o] + dot(w[o*in:(o+1)*in], src)
			if k < last && s < 0 { // ReLU on hidden layers
				s = 0
			}
			b[o] = s
		}
		a, b = b, a
	}
	return Sigmoid(a[0])
}

// Sigmoid is the logistic function, written to stay finite for large |z|.
func Sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// dot is a 4-way unrolled dot product (independent sums let the CPU overlap the multiply-adds).
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}
