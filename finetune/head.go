package finetune

import (
	"math"
	"math/rand/v2"
)

// Head is a residual per-pixel head added to a network's class scores: a 1×1-convolution MLP
// (In → Hidden → Hidden → Out, ReLU between) over features the frozen network already computes,
// whose output is added to the original scores before the final upsampling. Its last layer starts
// at zero, so an untrained head leaves the network exactly as it was. It gives the tail capacity
// where the original tail has little (ESPNetv2's ends in 840 weights behind a 10-channel
// bottleneck) while the original weights stay untouched.
//
// With Scale the MLP gives one value z per pixel instead, and the scores are multiplied by
// 2·sigmoid(z) (1 when untrained): a learned per-pixel temperature. It can make a pixel as
// uncertain as it likes but never changes which class wins, so the known classes keep exactly
// the original network's prediction.
type Head struct {
	Inputs     []string // feature values, concatenated along channels
	In, Hidden int
	Out        int          // class-score channels
	Scale      bool         // multiply the scores by 2·sigmoid(z) instead of adding a residual
	Context    int          // > 1: each input also enters averaged over a Context×Context window (see InputNodes)
	W          [3][]float32 // [out][in] per layer
	B          [3][]float32
}

// NewHead returns a head with PyTorch's default initialisation for the hidden layers and a zero
// output layer.
func NewHead(inputs []string, in, hidden, out int, scale bool, seed uint64) *Head {
	h := &Head{Inputs: inputs, In: in, Hidden: hidden, Out: out, Scale: scale}
	rng := rand.New(rand.NewPCG(seed, 0x4ead))
	dims := h.dims()
	for l, d := range dims {
		h.W[l] = make([]float32, d[0]*d[1])
		h.B[l] = make([]float32, d[0])
		if l == 2 {
			continue
		}
		bound := 1 / math.Sqrt(float64(d[1]))
		for i := range h.W[l] {
			h.W[l][i] = float32((2*rng.Float64() - 1) * bound)
		}
		for i := range h.B[l] {
			h.B[l][i] = float32((2*rng.Float64() - 1) * bound)
		}
	}
	return h
}

// dims are the [out, in] sizes of the three layers.
func (h *Head) dims() [3][2]int {
	return [3][2]int{{h.Hidden, h.In}, {h.Hidden, h.Hidden}, {h.outDim(), h.Hidden}}
}

func (h *Head) outDim() int {
	if h.Scale {
		return 1
	}
	return h.Out
}

func sigmoid(z float32) float32 { return float32(1 / (1 + math.Exp(-float64(z)))) }

// Params is the number of weights.
func (h *Head) Params() int {
	n := 0
	for l := range 3 {
		n += len(h.W[l]) + len(h.B[l])
	}
	return n
}

// pixel computes the head's output for one feature vector x into out, keeping the hidden
// activations in z1, z2.
func (h *Head) pixel(x, z1, z2, out []float32) {
	layer := func(w, b, in, o []float32, relu bool) {
		n := len(in)
		for i := range o {
			s := b[i]
			row := w[i*n : (i+1)*n]
			for j, v := range in {
				s += row[j] * v
			}
			if relu && s < 0 {
				s = 0
			}
			o[i] = s
		}
	}
	layer(h.W[0], h.B[0], x, z1, true)
	layer(h.W[1], h.B[1], z1, z2, true)
	layer(h.W[2], h.B[2], z2, out, false)
}

// Apply adds the head's output to scores (Out×n planar) for features (In×n planar).
func (h *Head) Apply(features, scores []float32, n int) {
	x := make([]float32, h.In)
	z1, z2, o := make([]float32, h.Hidden), make([]float32, h.Hidden), make([]float32, h.outDim())
	for j := range n {
		for c := range h.In {
			x[c] = features[c*n+j]
		}
		h.pixel(x, z1, z2, o)
		if h.Scale {
			sc := 2 * sigmoid(o[0])
			for c := range h.Out {
				scores[c*n+j] *= sc
			}
			continue
		}
		for c := range h.Out {
			scores[c*n+j] += o[c]
		}
	}
}

// Samples are training pixels: features (Dim per pixel), the frozen network's class scores
// (Out per pixel) and a label.
//
// Weight makes a sample stand for the pixels it was drawn from: SamplePixels takes many proxy
// pixels from few, so each pixel's loss is weighted by (pixels of its kind)/(drawn of its kind),
// and the loss is that of whole images, as in the method, at a fraction of the cost.
type Samples struct {
	Dim, Out int
	X, Base  []float32
	Y        []uint8
	Weight   []float32
}

// Add appends pixels idx of planar maps feat (Dim×n), base (Out×n) and weights (n) with their labels.
func (s *Samples) Add(feat, base, weights []float32, labels []uint8, n int, idx []int) {
	for _, j := range idx {
		s.Weight = append(s.Weight, weights[j])
		for c := range s.Dim {
			s.X = append(s.X, feat[c*n+j])
		}
		for c := range s.Out {
			s.Base = append(s.Base, base[c*n+j])
		}
		s.Y = append(s.Y, labels[j])
	}
}

// Len is the number of pixels.
func (s *Samples) Len() int { return len(s.Y) }

// SamplePixels picks up to maxProxy proxy pixels and maxOther other labelled pixels (known class
// below k), at random, and returns them with the weight of each kind (pixels / drawn).
func SamplePixels(labels []uint8, k, maxProxy, maxOther int, rng *rand.Rand) (idx []int, wProxy, wOther float32) {
	var proxy, other []int
	for j, y := range labels {
		switch {
		case y == LabelProxy:
			proxy = append(proxy, j)
		case int(y) < k:
			other = append(other, j)
		}
	}
	pick := func(v []int, m int) []int {
		rng.Shuffle(len(v), func(a, b int) { v[a], v[b] = v[b], v[a] })
		return v[:min(m, len(v))]
	}
	np, no := len(proxy), len(other)
	idx = append(pick(proxy, maxProxy), pick(other, maxOther)...)
	if np > 0 {
		wProxy = float32(np) / float32(min(np, maxProxy))
	}
	if no > 0 {
		wOther = float32(no) / float32(min(no, maxOther))
	}
	return idx, wProxy, wOther
}
