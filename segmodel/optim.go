package segmodel

import "math"

// params lists a net's weight slices in a fixed order (for the optimiser and gradient sums).
func params(n *Net) [][]float32 { return [][]float32{n.W1, n.B1, n.W2, n.B2, n.W3, n.B3} }

// zeroLike returns a net of n's sizes with all weights zero (a gradient buffer).
func zeroLike(n *Net) *Net {
	return &Net{H1: n.H1, H2: n.H2,
		W1: make([]float32, len(n.W1)), B1: make([]float32, len(n.B1)),
		W2: make([]float32, len(n.W2)), B2: make([]float32, len(n.B2)),
		W3: make([]float32, len(n.W3)), B3: make([]float32, len(n.B3))}
}

// addInto adds b's weights to a's.
func addInto(a, b *Net) {
	pb := params(b)
	for i, p := range params(a) {
		for j := range p {
			p[j] += pb[i][j]
		}
	}
}

// backprop zeroes g, then accumulates into it the gradient of the summed loss over samples idx,
// and returns that summed loss. Known labels cost (1−α)·CE(y,p); LabelUniform costs α·CE(uniform,p).
func backprop(n, g *Net, s *samples, idx []int, alpha float64) float64 {
	for _, p := range params(g) {
		clear(p)
	}
	h1, h2 := n.H1, n.H2
	z1, z2 := make([]float32, h1), make([]float32, h2)
	logits, dz3 := make([]float32, Classes), make([]float32, Classes)
	dz2, dz1 := make([]float32, h2), make([]float32, h1)
	sc := &scratch{h1: z1, h2: z2} // ReLU outputs: a > 0 exactly where z > 0
	var loss float64
	for _, i := range idx {
		x := s.x[i*NumFeatures : (i+1)*NumFeatures]
		n.pixel(x, logits, sc)
		// Softmax with the max subtracted, in float64 for a stable log.
		m := logits[argmax(logits)]
		var sum float64
		for _, v := range logits {
			sum += math.Exp(float64(v - m))
		}
		logSum := math.Log(sum)
		y := s.y[i]
		if y == LabelUniform {
			for c, v := range logits {
				lp := float64(v-m) - logSum
				loss -= alpha * lp / Classes
				dz3[c] = float32(alpha * (math.Exp(lp) - 1.0/Classes))
			}
		} else {
			for c, v := range logits {
				lp := float64(v-m) - logSum
				t := 0.0
				if c == int(y) {
					t = 1
					loss -= (1 - alpha) * lp
				}
				dz3[c] = float32((1 - alpha) * (math.Exp(lp) - t))
			}
		}
		// Layer 3.
		clear(dz2)
		for c, d := range dz3 {
			g.B3[c] += d
			row, grow := n.W3[c*h2:(c+1)*h2], g.W3[c*h2:(c+1)*h2]
			for j, a := range z2 {
				grow[j] += d * a
				dz2[j] += d * row[j]
			}
		}
		// Layer 2 (through ReLU).
		clear(dz1)
		for j, d := range dz2 {
			if z2[j] <= 0 {
				continue
			}
			g.B2[j] += d
			row, grow := n.W2[j*h1:(j+1)*h1], g.W2[j*h1:(j+1)*h1]
			for k, a := range z1 {
				grow[k] += d * a
				dz1[k] += d * row[k]
			}
		}
		// Layer 1 (through ReLU).
		for k, d := range dz1 {
			if z1[k] <= 0 {
				continue
			}
			g.B1[k] += d
			grow := g.W1[k*NumFeatures : (k+1)*NumFeatures]
			for f, v := range x {
				grow[f] += d * v
			}
		}
	}
	return loss
}

// adam is the Adam optimiser state (β1 0.9, β2 0.999, ε 1e-8).
type adam struct {
	m, v [][]float64
	t    int
}

func newAdam(n *Net) *adam {
	a := &adam{}
	for _, p := range params(n) {
		a.m = append(a.m, make([]float64, len(p)))
		a.v = append(a.v, make([]float64, len(p)))
	}
	return a
}

// step applies one Adam update with step size lr to n from the gradient g scaled by scale.
func (a *adam) step(n, g *Net, lr, scale float64) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	a.t++
	c1, c2 := 1-math.Pow(b1, float64(a.t)), 1-math.Pow(b2, float64(a.t))
	gp := params(g)
	for i, p := range params(n) {
		m, v := a.m[i], a.v[i]
		for j := range p {
			gr := float64(gp[i][j]) * scale
			m[j] = b1*m[j] + (1-b1)*gr
			v[j] = b2*v[j] + (1-b2)*gr*gr
			p[j] -= float32(lr * (m[j] / c1) / (math.Sqrt(v[j]/c2) + eps))
		}
	}
}
