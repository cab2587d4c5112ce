package onnx

import "github.com/metaood/metaood/onnx/pb"

// AttrInt returns an INT attribute.
func AttrInt(name string, v int64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_INT, I: v}
}

// AttrInts returns an INTS attribute.
func AttrInts(name string, v ...int64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_INTS, Ints: append([]int64(nil), v...)}
}

// AttrFloat returns a FLOAT attribute.
func AttrFloat(name string, v float32) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_FLOAT, F: v}
}

// AttrString returns a STRING attribute.
func AttrString(name, v string) *pb.AttributeProto {
	return &pb.AttributeProto{Name: name, Type: pb.AttributeProto_STRING, S: []byte(v)}
}

// Conv is a 2-D convolution of x [N,C,H,W] by w [M,C/group,kh,kw] plus bias b ([M], or "" for
// none), stride 1, with symmetric zero padding pad on each side ("same" size for kh = kw = 2·pad+1).
func (g *Graph) Conv(x, w, b string, pad int64) string {
	in := []string{x, w}
	if b != "" {
		in = append(in, b)
	}
	return g.Apply("Conv", in, AttrInts("pads", pad, pad, pad, pad), AttrInts("strides", 1, 1))
}

// Relu is max(x, 0).
func (g *Graph) Relu(x string) string { return g.Apply("Relu", []string{x}) }

// Add is a + b with numpy broadcasting.
func (g *Graph) Add(a, b string) string { return g.Apply("Add", []string{a, b}) }

// Sub is a − b with numpy broadcasting.
func (g *Graph) Sub(a, b string) string { return g.Apply("Sub", []string{a, b}) }

// Mul is a · b with numpy broadcasting.
func (g *Graph) Mul(a, b string) string { return g.Apply("Mul", []string{a, b}) }

// Div is a / b with numpy broadcasting.
func (g *Graph) Div(a, b string) string { return g.Apply("Div", []string{a, b}) }

// Concat joins xs along axis.
func (g *Graph) Concat(axis int64, xs ...string) string {
	return g.Apply("Concat", xs, AttrInt("axis", axis))
}

// AveragePool averages kh×kw windows at stride 1 with symmetric padding (ph rows, pw columns)
// that is excluded from the count, so borders average only real pixels and H/W are kept when
// kh = 2·ph+1 and kw = 2·pw+1.
func (g *Graph) AveragePool(x string, kh, kw, ph, pw int64) string {
	return g.Apply("AveragePool", []string{x},
		AttrInts("kernel_shape", kh, kw), AttrInts("pads", ph, pw, ph, pw),
		AttrInts("strides", 1, 1), AttrInt("count_include_pad", 0))
}

// ReduceMean averages x over axes, keeping the reduced dimensions (as size 1) so results broadcast back.
func (g *Graph) ReduceMean(x string, axes ...int64) string {
	// Opset 17 takes axes as an attribute (opset 18 moved them to an input).
	return g.Apply("ReduceMean", []string{x}, AttrInts("axes", axes...), AttrInt("keepdims", 1))
}
