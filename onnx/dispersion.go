package onnx

import (
	"fmt"
	"math"

	"github.com/metaood/metaood/onnx/pb"
)

// Names of the outputs AddDispersionHead gives the model, in the order it declares them.
const (
	// DispEntropy is float32 [N,H,W]: the normalized entropy −Σ p ln p / ln K of the softmax.
	DispEntropy = "metaood_entropy"
	// DispArgmax is uint8 [N,H,W]: the class of the largest logit (the lowest class on ties).
	DispArgmax = "metaood_argmax"
	// DispTop2 is float32 [N,2,H,W]: the largest and the second largest probability.
	DispTop2 = "metaood_top2"
	// DispMaskProbs is float32 [K,M]: the K class probabilities of the M pixels (all frames of
	// the batch, frame by frame, each in row-major order) whose DispEntropy is ≥ the threshold.
	DispMaskProbs = "metaood_mask_probs"
)

// DispersionOpset is the lowest opset AddDispersionHead works with (ReduceSum's axes input,
// Softmax over one axis).
const DispersionOpset = 13

// AddDispersionHead appends to the graph, after the class scores logits ([N,C,H,W] float32
// logits), what postproc needs per pixel — the normalized entropy, the argmax, the top-2
// probabilities — and the full class probabilities of only the pixels whose entropy is ≥
// threshold (the candidates for anomaly components, whose mean class probabilities are metrics).
// These four become the model's only outputs, so a few H×W maps leave the device instead of C
// planes. classes > 0 keeps the first classes channels (a void channel dropped); 0 keeps all.
// The model must use opset 13 or newer of the default domain.
func (m *Model) AddDispersionHead(logits string, classes int, threshold float32) error {
	if !m.has(logits) {
		return fmt.Errorf("%w: no node, input or initializer produces %q", ErrUnknown, logits)
	}
	for _, name := range []string{DispEntropy, DispArgmax, DispTop2, DispMaskProbs} {
		if m.has(name) {
			return fmt.Errorf("%w: the model already has %q (a dispersion head added twice?)", ErrDuplicate, name)
		}
	}
	if classes < 0 || classes == 1 || classes > 255 {
		return fmt.Errorf("%w: dispersion head for %d classes; want 2 to 255 (the argmax is uint8), or 0 for all", ErrShape, classes)
	}
	if math.IsNaN(float64(threshold)) || threshold < 0 || threshold > 1 {
		return fmt.Errorf("%w: dispersion head threshold %v is outside [0, 1]", ErrShape, threshold)
	}
	if v := m.opset(); v < DispersionOpset {
		return fmt.Errorf("%w: the model uses opset %d; the dispersion head needs opset %d or newer (re-export the model)", ErrModel, v, DispersionOpset)
	}
	k := int64(classes)
	if k == 0 {
		c, ok := m.channels(logits)
		if !ok {
			return fmt.Errorf("%w: the class count of %q is not fixed in the model; give the number of classes", ErrShape, logits)
		}
		k = c
	}
	if k < 2 || k > 255 {
		return fmt.Errorf("%w: %q has %d classes; the dispersion head needs 2 to 255", ErrShape, logits, k)
	}
	e := &editor{g: m.Proto.GetGraph(), prefix: "metaood_disp."}
	x := logits
	if c, ok := m.channels(logits); !ok || c != k {
		x = e.node("Slice", []string{logits, e.ints("start", 0), e.ints("end", k), e.ints("axis", 1)})
	}
	// The softmax written out (ONNX Runtime's CPU Softmax over a non-last axis took 0.9 s per
	// 19×512×1024 map, these element-wise ops and reductions a fraction of that), as postproc
	// does it: d = x − max, e = exp d, s = Σ e, p = e/s, H = ln s − Σ e·d / s.
	opset := m.opset()
	d := e.node("Sub", []string{x, e.reduce("ReduceMax", x, opset)})
	ex := e.node("Exp", []string{d})
	s := e.reduce("ReduceSum", ex, opset)
	p := e.node("Div", []string{ex, s})
	ed := e.reduce("ReduceSum", e.node("Mul", []string{ex, d}), opset)
	nats := e.node("Sub", []string{e.node("Log", []string{s}), e.node("Div", []string{ed, s})})
	classAxis := e.ints("classes_axis", 1)
	e.named("Squeeze", []string{e.node("Mul", []string{nats, e.float("inv_ln_k", float32(1/math.Log(float64(k))))}), classAxis}, DispEntropy)
	am := e.node("ArgMax", []string{x}, AttrInt("axis", 1), AttrInt("keepdims", 0), AttrInt("select_last_index", 0))
	e.named("Cast", []string{am}, DispArgmax, AttrInt("to", int64(pb.TensorProto_UINT8)))
	e.g.Node = append(e.g.Node, &pb.NodeProto{Name: e.prefix + "TopK", OpType: "TopK",
		Input: []string{ex, e.ints("two", 2)}, Output: []string{e.prefix + "top2_exp", e.prefix + "top2_index"},
		Attribute: []*pb.AttributeProto{AttrInt("axis", 1), AttrInt("largest", 1), AttrInt("sorted", 1)}})
	e.named("Div", []string{e.prefix + "top2_exp", s}, DispTop2)
	mask := e.node("GreaterOrEqual", []string{DispEntropy, e.float("threshold", threshold)})
	// [N,K,H,W] → [K, N·H·W], then keep the columns of the mask: Compress walks them frame by
	// frame, row-major, the order in which postproc meets the pixels.
	planes := e.node("Reshape", []string{e.node("Transpose", []string{p}, AttrInts("perm", 1, 0, 2, 3)), e.ints("k_by_all", 0, -1)})
	flatMask := e.node("Reshape", []string{mask, e.ints("all", -1)})
	e.named("Compress", []string{planes, flatMask}, DispMaskProbs, AttrInt("axis", 1))

	n, h, w := Sym("N"), Sym("H"), Sym("W")
	if d, ok := m.dims(logits); ok {
		n, h, w = d[0], d[2], d[3]
	}
	m.Proto.Graph.Output = []*pb.ValueInfoProto{
		valueInfo(DispEntropy, pb.TensorProto_FLOAT, []Dim{n, h, w}),
		valueInfo(DispArgmax, pb.TensorProto_UINT8, []Dim{n, h, w}),
		valueInfo(DispTop2, pb.TensorProto_FLOAT, []Dim{n, Fixed(2), h, w}),
		valueInfo(DispMaskProbs, pb.TensorProto_FLOAT, []Dim{Fixed(k), Sym("M")}),
	}
	return nil
}

// opset is the model's version of the default ("" or "ai.onnx") operator set; 0 when absent.
func (m *Model) opset() int64 {
	for _, o := range m.Proto.GetOpsetImport() {
		if d := o.GetDomain(); d == "" || d == "ai.onnx" {
			return o.GetVersion()
		}
	}
	return 0
}

// dims returns the 4 dims of the graph output or value_info called name, when it is declared
// with rank 4.
func (m *Model) dims(name string) ([]Dim, bool) {
	g := m.Proto.GetGraph()
	for _, list := range [][]*pb.ValueInfoProto{g.GetOutput(), g.GetValueInfo()} {
		for _, v := range list {
			if v.GetName() != name {
				continue
			}
			sh := v.GetType().GetTensorType().GetShape()
			if len(sh.GetDim()) != 4 {
				return nil, false
			}
			out := make([]Dim, 4)
			for i, d := range sh.GetDim() {
				if d.GetDimParam() != "" || d.GetDimValue() <= 0 {
					out[i] = Sym(fmt.Sprintf("d%d", i))
					if d.GetDimParam() != "" {
						out[i] = Sym(d.GetDimParam())
					}
				} else {
					out[i] = Fixed(d.GetDimValue())
				}
			}
			return out, true
		}
	}
	return nil, false
}

// channels returns the fixed channel count (dim 1) of name when the model declares it.
func (m *Model) channels(name string) (int64, bool) {
	d, ok := m.dims(name)
	if !ok || d[1].Param != "" {
		return 0, false
	}
	return d[1].Size, true
}

// editor appends nodes and initializers to a loaded graph under names with a common prefix.
type editor struct {
	g      *pb.GraphProto
	prefix string
	seq    int
}

// node appends a one-output node and returns its output's name.
func (e *editor) node(op string, inputs []string, attrs ...*pb.AttributeProto) string {
	e.seq++
	return e.named(op, inputs, fmt.Sprintf("%s%s_%d", e.prefix, op, e.seq), attrs...)
}

// named appends a one-output node whose output is called out.
func (e *editor) named(op string, inputs []string, out string, attrs ...*pb.AttributeProto) string {
	e.g.Node = append(e.g.Node, &pb.NodeProto{Name: e.prefix + out, OpType: op, Input: inputs, Output: []string{out}, Attribute: attrs})
	return out
}

// reduce appends op (ReduceMax, ReduceSum) over the class axis, keeping it: opset 18 moved
// ReduceMax's axes from an attribute to an input, where ReduceSum's have been since opset 13.
func (e *editor) reduce(op, x string, opset int64) string {
	if op == "ReduceSum" || opset >= 18 {
		return e.node(op, []string{x, e.ints(fmt.Sprintf("axes_%d", e.seq), 1)}, AttrInt("keepdims", 1))
	}
	return e.node(op, []string{x}, AttrInts("axes", 1), AttrInt("keepdims", 1))
}

// ints adds an int64 vector initializer.
func (e *editor) ints(name string, v ...int64) string {
	t, _ := Int64Tensor(e.prefix+name, []int64{int64(len(v))}, v) // dims match the data: cannot fail
	e.g.Initializer = append(e.g.Initializer, t)
	return t.GetName()
}

// float adds a float32 scalar initializer.
func (e *editor) float(name string, v float32) string {
	t, _ := FloatTensor(e.prefix+name, nil, []float32{v}) // a scalar: cannot fail
	e.g.Initializer = append(e.g.Initializer, t)
	return t.GetName()
}
