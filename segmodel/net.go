package segmodel

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Classes is the number of output classes: the 19 Cityscapes train ids. There is no anomaly class:
// anomalies show as high entropy.
const Classes = 19

// Net is the trained part of the tiny model: a per-pixel MLP
// NumFeatures → H1 → ReLU → H2 → ReLU → Classes applied to the fixed features (see features.go).
// In ONNX the layers are 1×1 convolutions over the NumFeatures feature maps.
type Net struct {
	H1, H2 int
	W1     []float32 // H1 × NumFeatures, row-major (output-major like a Conv weight)
	B1     []float32 // H1
	W2     []float32 // H2 × H1
	B2     []float32 // H2
	W3     []float32 // Classes × H2
	B3     []float32 // Classes
}

// NewNet returns a net with He-initialised weights drawn from seed and zero biases.
func NewNet(h1, h2 int, seed uint64) *Net {
	rng := rand.New(rand.NewPCG(seed, 0x7e9a))
	n := &Net{H1: h1, H2: h2,
		W1: make([]float32, h1*NumFeatures), B1: make([]float32, h1),
		W2: make([]float32, h2*h1), B2: make([]float32, h2),
		W3: make([]float32, Classes*h2), B3: make([]float32, Classes)}
	he := func(w []float32, fanIn int) {
		s := math.Sqrt(2 / float64(fanIn))
		for i := range w {
			w[i] = float32(rng.NormFloat64() * s)
		}
	}
	he(n.W1, NumFeatures)
	he(n.W2, h1)
	he(n.W3, h2)
	return n
}

// check verifies that the weight slices match H1, H2.
func (n *Net) check() error {
	sizes := []struct {
		name      string
		got, want int
	}{
		{"W1", len(n.W1), n.H1 * NumFeatures}, {"B1", len(n.B1), n.H1},
		{"W2", len(n.W2), n.H2 * n.H1}, {"B2", len(n.B2), n.H2},
		{"W3", len(n.W3), Classes * n.H2}, {"B3", len(n.B3), Classes},
	}
	if n.H1 <= 0 || n.H2 <= 0 {
		return fmt.Errorf("%w: hidden sizes %d, %d must be positive", ErrModel, n.H1, n.H2)
	}
	for _, s := range sizes {
		if s.got != s.want {
			return fmt.Errorf("%w: %s has %d values, want %d", ErrModel, s.name, s.got, s.want)
		}
	}
	return nil
}

// scratch holds the per-pixel activations of one forward pass.
type scratch struct{ h1, h2 []float32 }

func (n *Net) newScratch() *scratch {
	return &scratch{h1: make([]float32, n.H1), h2: make([]float32, n.H2)}
}

// pixel computes the logits of one feature vector x (len NumFeatures) into out (len Classes).
func (n *Net) pixel(x, out []float32, s *scratch) {
	dense(n.W1, n.B1, x, s.h1, true)
	dense(n.W2, n.B2, s.h1, s.h2, true)
	dense(n.W3, n.B3, s.h2, out, false)
}

// dense computes out = W·x + b (W is len(out) × len(x)), optionally followed by ReLU.
func dense(w, b, x, out []float32, relu bool) {
	k := len(x)
	for o := range out {
		row := w[o*k : (o+1)*k]
		s := b[o]
		for i, v := range x {
			s += row[i] * v
		}
		if relu && s < 0 {
			s = 0
		}
		out[o] = s
	}
}

// Forward is the Go reference of the whole model: it computes the logits (Classes × h × w planar)
// of rgb (3 × h × w planar, RGB in [0,1]) into logits, reallocated when short, and returns them.
func (n *Net) Forward(rgb []float32, h, w int, logits []float32) ([]float32, error) {
	if err := n.check(); err != nil {
		return nil, err
	}
	var f Features
	if err := ComputeFeatures(rgb, h, w, &f); err != nil {
		return nil, err
	}
	hw := h * w
	logits = grow(logits, Classes*hw)
	s := n.newScratch()
	x := make([]float32, NumFeatures)
	out := make([]float32, Classes)
	for i := range h {
		for j := range w {
			f.At(i, j, x)
			n.pixel(x, out, s)
			p := i*w + j
			for c, v := range out {
				logits[c*hw+p] = v
			}
		}
	}
	return logits, nil
}
