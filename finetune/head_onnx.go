package finetune

import (
	"fmt"

	"github.com/metaood/metaood/onnx"
	"github.com/metaood/metaood/onnx/pb"
)

// InputNodes returns the nodes that bring the head's inputs to the size of scores (a linear,
// align_corners Resize each, so coarse decoder features can join) and concatenate them, and the
// name of the result. It adds the int64 constants it needs to m's initializers; the caller adds
// the nodes after the producers of inputs and scores.
//
// With context > 1 every input is also averaged over a context×context window (stride 1,
// padding ignored) and joins as well: a per-pixel head then sees its surroundings.
func InputNodes(m *onnx.Model, inputs []string, scores, prefix string, context int) (string, []*NodeSpec, error) {
	if len(inputs) == 0 {
		return "", nil, fmt.Errorf("%w: the head has no inputs", ErrConfig)
	}
	g := m.Proto.GetGraph()
	for _, in := range inputs {
		if m.Producer(in) == nil {
			return "", nil, fmt.Errorf("%w: no node produces head input %q", ErrCut, in)
		}
	}
	for _, c := range []struct {
		name string
		v    int64
	}{{"zero", 0}, {"two", 2}, {"four", 4}} {
		t, err := onnx.Int64Tensor(prefix+"."+c.name, []int64{1}, []int64{c.v})
		if err != nil {
			return "", nil, err
		}
		g.Initializer = append(g.Initializer, t)
	}
	shapeS := prefix + ".scores_shape"
	hw := prefix + ".scores_hw"
	nodes := []*NodeSpec{
		{op: "Shape", inputs: []string{scores}, output: shapeS},
		{op: "Slice", inputs: []string{shapeS, prefix + ".two", prefix + ".four"}, output: hw},
	}
	var resized []string
	for i, in := range inputs {
		sh, nc, sizes, out := fmt.Sprintf("%s.in%d_shape", prefix, i), fmt.Sprintf("%s.in%d_nc", prefix, i),
			fmt.Sprintf("%s.in%d_sizes", prefix, i), fmt.Sprintf("%s.in%d", prefix, i)
		nodes = append(nodes,
			&NodeSpec{op: "Shape", inputs: []string{in}, output: sh},
			&NodeSpec{op: "Slice", inputs: []string{sh, prefix + ".zero", prefix + ".two"}, output: nc},
			&NodeSpec{op: "Concat", inputs: []string{nc, hw}, output: sizes, attrs: []*pb.AttributeProto{onnx.AttrInt("axis", 0)}},
			&NodeSpec{op: "Resize", inputs: []string{in, "", "", sizes}, output: out, attrs: []*pb.AttributeProto{onnx.AttrString("mode", "linear"),
				onnx.AttrString("coordinate_transformation_mode", "align_corners")}})
		resized = append(resized, out)
		if context > 1 {
			k, p := int64(context), int64(context/2)
			pooled := out + "_ctx"
			nodes = append(nodes, &NodeSpec{op: "AveragePool", inputs: []string{out}, output: pooled, attrs: []*pb.AttributeProto{
				onnx.AttrInts("kernel_shape", k, k), onnx.AttrInts("strides", 1, 1), onnx.AttrInts("pads", p, p, p, p),
				onnx.AttrInt("count_include_pad", 0)}})
			resized = append(resized, pooled)
		}
	}
	x := prefix + ".in"
	nodes = append(nodes, &NodeSpec{op: "Concat", inputs: resized, output: x, attrs: []*pb.AttributeProto{onnx.AttrInt("axis", 1)}})
	return x, nodes, nil
}

// Insert adds the head to m: its inputs are concatenated, run through the MLP as 1×1
// convolutions, and added to scores, the value the final upsampling (or the output) reads;
// every reader of scores except Shape nodes reads the sum instead.
func (h *Head) Insert(m *onnx.Model, scores string) error {
	const prefix = "metaood_head"
	if err := h.addWeights(m, prefix); err != nil {
		return err
	}
	x, nodes, err := InputNodes(m, h.Inputs, scores, prefix, h.Context)
	if err != nil {
		return err
	}
	z, mlp := h.convNodes(prefix, x)
	nodes = append(nodes, mlp...)
	sum := prefix + ".sum"
	if h.Scale {
		two, err := onnx.FloatTensor(prefix+".two_f", []int64{1}, []float32{2})
		if err != nil {
			return err
		}
		m.Proto.GetGraph().Initializer = append(m.Proto.GetGraph().Initializer, two)
		nodes = append(nodes, &NodeSpec{op: "Sigmoid", inputs: []string{z}, output: prefix + ".sig"},
			&NodeSpec{op: "Mul", inputs: []string{prefix + ".sig", prefix + ".two_f"}, output: prefix + ".scale"},
			&NodeSpec{op: "Mul", inputs: []string{scores, prefix + ".scale"}, output: sum})
	} else {
		nodes = append(nodes, &NodeSpec{op: "Add", inputs: []string{scores, z}, output: sum})
	}
	return splice(m, scores, sum, prefix, nodes)
}

// addWeights adds the head's weights to m as initializers named prefix.wL and prefix.bL.
func (h *Head) addWeights(m *onnx.Model, prefix string) error {
	g := m.Proto.GetGraph()
	dims := h.dims()
	for l := range 3 {
		for _, t := range []struct {
			name string
			dims []int64
			data []float32
		}{
			{fmt.Sprintf("%s.w%d", prefix, l), []int64{int64(dims[l][0]), int64(dims[l][1]), 1, 1}, h.W[l]},
			{fmt.Sprintf("%s.b%d", prefix, l), []int64{int64(dims[l][0])}, h.B[l]},
		} {
			tensor, err := onnx.FloatTensor(t.name, t.dims, t.data)
			if err != nil {
				return err
			}
			g.Initializer = append(g.Initializer, tensor)
		}
	}
	return nil
}

// convNodes returns the nodes of the head's three 1×1 convolutions (ReLU between) on x, reading
// the weights addWeights named, and the name of their output.
func (h *Head) convNodes(prefix, x string) (string, []*NodeSpec) {
	var nodes []*NodeSpec
	for l := range 3 {
		out := fmt.Sprintf("%s.z%d", prefix, l)
		nodes = append(nodes, &NodeSpec{op: "Conv", inputs: []string{x, fmt.Sprintf("%s.w%d", prefix, l), fmt.Sprintf("%s.b%d", prefix, l)}, output: out})
		x = out
		if l < 2 {
			nodes = append(nodes, &NodeSpec{op: "Relu", inputs: []string{x}, output: x + ".relu"})
			x += ".relu"
		}
	}
	return x, nodes
}

// splice puts nodes (named prefix.0, prefix.1, …) right after the producer of scores, so the graph
// stays sorted, and makes every reader of scores except Shape nodes read sum instead.
func splice(m *onnx.Model, scores, sum, prefix string, nodes []*NodeSpec) error {
	g := m.Proto.GetGraph()
	for _, o := range g.GetOutput() {
		if o.GetName() == scores {
			return fmt.Errorf("%w: the head cannot add to a graph output directly (%q)", ErrCut, scores)
		}
	}
	readers := m.Consumers(scores)
	pos := len(g.Node)
	if p := m.Producer(scores); p != nil {
		for i, n := range g.Node {
			if n == p {
				pos = i + 1
			}
		}
	}
	built := make([]*pb.NodeProto, 0, len(nodes))
	for i, s := range nodes {
		built = append(built, s.Node(fmt.Sprintf("%s.%d", prefix, i)))
	}
	g.Node = append(g.Node[:pos], append(built, g.Node[pos:]...)...)
	for _, r := range readers {
		if r.GetOpType() == "Shape" {
			continue
		}
		for i, in := range r.Input {
			if in == scores {
				r.Input[i] = sum
			}
		}
	}
	return nil
}
