package segmodel

import (
	"fmt"

	"github.com/metaood/metaood/onnx"
)

// Names of the model's input and output, fixed by docs/CONTRACTS.md §1.
const (
	InputName  = "image"
	OutputName = "logits"
)

// Initializer names of the trained weights in the ONNX graph.
const (
	initW1 = "w1" // [H1, NumFeatures, 1, 1]
	initB1 = "b1"
	initW2 = "w2" // [H2, H1, 1, 1]
	initB2 = "b2"
	initW3 = "w3" // [Classes, H2, 1, 1]
	initB3 = "b3"
)

// Build returns the ONNX model of n: input "image" [N,3,H,W] RGB float in [0,1], output
// "logits" [N,19,H,W], N, H and W dynamic. metadata are extra key, value pairs (provenance).
func (n *Net) Build(metadata ...string) (*onnx.Model, error) {
	if err := n.check(); err != nil {
		return nil, err
	}
	g := onnx.NewGraph("metaood_tiny")
	x := g.Input(InputName, onnx.Sym("N"), onnx.Fixed(3), onnx.Sym("H"), onnx.Sym("W"))

	// Fixed per-pixel features: RGB, 5×5 mean, 5×5 variance.
	const rs = SmallWin / 2
	m5 := g.AveragePool(x, SmallWin, SmallWin, rs, rs)
	q5 := g.AveragePool(g.Mul(x, x), SmallWin, SmallWin, rs, rs)
	v5 := g.Sub(q5, g.Mul(m5, m5))

	// Relative coordinates from the input's runtime shape: y = (i+0.5)/H, xdist = |2(j+0.5)/W − 1|.
	half := g.Float("half", nil, []float32{0.5})
	two := g.Float("two", nil, []float32{2})
	zero := g.Float("zero", nil, []float32{0})
	one := g.Float("one", nil, []float32{1})
	shape := g.Apply("Shape", []string{x})
	axis0 := g.Int64("axis0", []int64{1}, []int64{0})
	coord := func(dim int64) (idx, size string) {
		s := g.Apply("Slice", []string{shape,
			g.Int64(fmt.Sprintf("start%d", dim), []int64{1}, []int64{dim}),
			g.Int64(fmt.Sprintf("end%d", dim), []int64{1}, []int64{dim + 1}), axis0})
		size = g.Apply("Cast", []string{s}, onnx.AttrInt("to", 1)) // FLOAT
		scalar := g.Apply("Squeeze", []string{size, axis0})
		return g.Apply("Range", []string{zero, scalar, one}), size
	}
	ri, hf := coord(2)
	y := g.Div(g.Add(ri, half), hf)
	y4 := g.Apply("Reshape", []string{y, g.Int64("shape_row", []int64{4}, []int64{1, 1, -1, 1})})
	rj, wf := coord(3)
	xd := g.Mul(g.Apply("Abs", []string{g.Sub(g.Div(g.Add(rj, half), wf), half)}), two)
	x4 := g.Apply("Reshape", []string{xd, g.Int64("shape_col", []int64{4}, []int64{1, 1, 1, -1})})

	// Row and column features broadcast to full maps so that one 1×1 convolution takes all
	// NumFeatures inputs (faster in ONNX Runtime than broadcast-adding per-layer row/column terms).
	shape1 := g.Concat(0, g.Apply("Slice", []string{shape, g.Int64("s0", []int64{1}, []int64{0}), g.Int64("e0", []int64{1}, []int64{1}), axis0}),
		g.Int64("one64", []int64{1}, []int64{1}),
		g.Apply("Slice", []string{shape, g.Int64("s2", []int64{1}, []int64{2}), g.Int64("e2", []int64{1}, []int64{4}), axis0}))
	yFull := g.Apply("Expand", []string{y4, shape1})
	rowMean := g.Apply("Expand", []string{g.ReduceMean(x, 3), shape})
	xFull := g.Apply("Expand", []string{x4, shape1})
	feats := g.Concat(1, x, m5, v5, yFull, rowMean, xFull)

	h1 := int64(n.H1)
	a1 := g.Relu(g.Conv(feats, g.Float(initW1, []int64{h1, NumFeatures, 1, 1}, n.W1), g.Float(initB1, []int64{h1}, n.B1), 0))
	h2 := int64(n.H2)
	a2 := g.Relu(g.Conv(a1, g.Float(initW2, []int64{h2, h1, 1, 1}, n.W2), g.Float(initB2, []int64{h2}, n.B2), 0))
	g.Node("Conv", []string{a2, g.Float(initW3, []int64{Classes, h2, 1, 1}, n.W3), g.Float(initB3, []int64{Classes}, n.B3)},
		[]string{OutputName}, onnx.AttrInts("pads", 0, 0, 0, 0), onnx.AttrInts("strides", 1, 1))
	g.Output(OutputName, onnx.Sym("N"), onnx.Fixed(Classes), onnx.Sym("H"), onnx.Sym("W"))
	return g.Model(metadata...)
}

// FromONNX reads the weights of a model written by Build back into a Net (e.g. to run the
// embedded model through the Go reference). Other models fail with ErrModel.
func FromONNX(data []byte) (*Net, error) {
	m, err := onnx.Load(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModel, err)
	}
	get := func(name string) ([]int64, []float32, error) {
		dims, v, err := m.Initializer(name)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrModel, err)
		}
		return dims, v, nil
	}
	d1, w1, err := get(initW1)
	if err != nil {
		return nil, err
	}
	d2, w2, err := get(initW2)
	if err != nil {
		return nil, err
	}
	if len(d1) != 4 || len(d2) != 4 {
		return nil, fmt.Errorf("%w: %s dims %v, %s dims %v, want rank 4", ErrModel, initW1, d1, initW2, d2)
	}
	n := &Net{H1: int(d1[0]), H2: int(d2[0]), W1: w1, W2: w2}
	for _, p := range []struct {
		name string
		dst  *[]float32
	}{{initB1, &n.B1}, {initB2, &n.B2}, {initW3, &n.W3}, {initB3, &n.B3}} {
		if _, *p.dst, err = get(p.name); err != nil {
			return nil, err
		}
	}
	if err := n.check(); err != nil {
		return nil, err
	}
	return n, nil
}
