package finetune

import (
	"fmt"
	"slices"

	"github.com/metaood/metaood/onnx"
)

// Ensemble is several temperature (Scale) heads on the same inputs, each trained on its own
// composites from its own initialisation, whose temperatures are averaged: the scores are
// multiplied by (2/K)·Σ_k sigmoid(z_k). One head's temperature varies from seed to seed about as
// much as the differences between training choices do; the average keeps what the heads agree
// on. Like one scale head it never changes which class wins.
type Ensemble struct {
	Heads []*Head
}

// NewEnsemble checks that heads can be averaged: at least one, all scale heads with the same
// inputs, input and hidden widths, context and class-score channels.
func NewEnsemble(heads []*Head) (*Ensemble, error) {
	if len(heads) == 0 {
		return nil, fmt.Errorf("%w: an ensemble needs at least one head", ErrConfig)
	}
	h0 := heads[0]
	for i, h := range heads {
		if !h.Scale {
			return nil, fmt.Errorf("%w: ensemble head %d is not a temperature (scale) head: only temperatures are averaged", ErrConfig, i)
		}
		if h.In != h0.In || h.Hidden != h0.Hidden || h.Out != h0.Out || h.Context != h0.Context || !slices.Equal(h.Inputs, h0.Inputs) {
			return nil, fmt.Errorf("%w: ensemble head %d reads %v (%d features, width %d, context %d, %d scores), head 0 %v (%d, %d, %d, %d)",
				ErrConfig, i, h.Inputs, h.In, h.Hidden, h.Context, h.Out, h0.Inputs, h0.In, h0.Hidden, h0.Context, h0.Out)
		}
	}
	return &Ensemble{Heads: heads}, nil
}

// Params is the number of weights of all heads.
func (e *Ensemble) Params() int {
	n := 0
	for _, h := range e.Heads {
		n += h.Params()
	}
	return n
}

// Apply multiplies scores (Out×n planar) by the averaged temperature of features (In×n planar),
// summing the sigmoids in head order as the ONNX graph's Sum does.
func (e *Ensemble) Apply(features, scores []float32, n int) {
	h0 := e.Heads[0]
	x := make([]float32, h0.In)
	z1, z2, o := make([]float32, h0.Hidden), make([]float32, h0.Hidden), make([]float32, 1)
	k := float32(2) / float32(len(e.Heads))
	for j := range n {
		for c := range h0.In {
			x[c] = features[c*n+j]
		}
		var s float32
		for _, h := range e.Heads {
			h.pixel(x, z1, z2, o)
			s += sigmoid(o[0])
		}
		sc := s * k
		for c := range h0.Out {
			scores[c*n+j] *= sc
		}
	}
}

// Insert adds the heads to m in front of scores, as Head.Insert does for one: their inputs are
// brought to the scores' size and concatenated once, each head's MLP runs on them (weights
// metaood_head.mK.*), and every reader of scores except Shape nodes reads scores multiplied by
// (2/K)·Sum(sigmoid(z_k)) instead.
func (e *Ensemble) Insert(m *onnx.Model, scores string) error {
	const prefix = "metaood_head"
	for k, h := range e.Heads {
		if err := h.addWeights(m, fmt.Sprintf("%s.m%d", prefix, k)); err != nil {
			return err
		}
	}
	h0 := e.Heads[0]
	x, nodes, err := InputNodes(m, h0.Inputs, scores, prefix, h0.Context)
	if err != nil {
		return err
	}
	var sigs []string
	for k, h := range e.Heads {
		p := fmt.Sprintf("%s.m%d", prefix, k)
		z, conv := h.convNodes(p, x)
		nodes = append(nodes, conv...)
		nodes = append(nodes, &NodeSpec{op: "Sigmoid", inputs: []string{z}, output: p + ".sig"})
		sigs = append(sigs, p+".sig")
	}
	factor, err := onnx.FloatTensor(prefix+".two_over_k", []int64{1}, []float32{float32(2) / float32(len(e.Heads))})
	if err != nil {
		return err
	}
	g := m.Proto.GetGraph()
	g.Initializer = append(g.Initializer, factor)
	sum := prefix + ".sum"
	nodes = append(nodes, &NodeSpec{op: "Sum", inputs: sigs, output: prefix + ".sigsum"},
		&NodeSpec{op: "Mul", inputs: []string{prefix + ".sigsum", prefix + ".two_over_k"}, output: prefix + ".scale"},
		&NodeSpec{op: "Mul", inputs: []string{scores, prefix + ".scale"}, output: sum})
	return splice(m, scores, sum, prefix, nodes)
}
