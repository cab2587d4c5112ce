// Package onnx builds and edits ONNX models from Go on top of the generated types in onnx/pb.
//
// A Graph is built front to back: inputs, initializers, nodes (each node's inputs must already
// exist), outputs; Model checks it and wraps it in a ModelProto. Model also edits loaded models:
// expose an intermediate tensor as an output, replace an initializer's values, save.
package onnx

import (
	"fmt"

	"github.com/metaood/metaood/onnx/pb"
)

// Default IR and opset versions written by NewGraph: IR 8 is what onnx.proto3 here describes,
// opset 17 is supported by every ONNX Runtime from 1.13 on.
const (
	IRVersion = 8
	Opset     = 17
)

// Dim is one tensor dimension: a fixed Size, or a symbolic name (Param) for a dynamic one.
type Dim struct {
	Size  int64
	Param string
}

// Fixed returns a dimension of fixed size n.
func Fixed(n int64) Dim { return Dim{Size: n} }

// Sym returns a dynamic dimension named name (e.g. "N", "H", "W").
func Sym(name string) Dim { return Dim{Param: name} }

// Graph is an ONNX graph under construction. Errors are kept and returned by Model, so a
// chain of builder calls needs one check at the end. A Graph is not safe for concurrent use.
type Graph struct {
	p       *pb.GraphProto
	defined map[string]bool
	opset   int64
	seq     int
	err     error
}

// NewGraph returns an empty graph named name using opset Opset.
func NewGraph(name string) *Graph {
	return &Graph{p: &pb.GraphProto{Name: name}, defined: map[string]bool{}, opset: Opset}
}

// Err returns the first error met while building, or nil.
func (g *Graph) Err() error { return g.err }

func (g *Graph) fail(err error) {
	if g.err == nil {
		g.err = err
	}
}

func (g *Graph) define(name string) bool {
	if name == "" || g.defined[name] {
		g.fail(fmt.Errorf("%w: %q", ErrDuplicate, name))
		return false
	}
	g.defined[name] = true
	return true
}

// Input declares a float32 graph input with the given dims.
func (g *Graph) Input(name string, dims ...Dim) string {
	if g.define(name) {
		g.p.Input = append(g.p.Input, valueInfo(name, pb.TensorProto_FLOAT, dims))
	}
	return name
}

// Output declares an existing value as a float32 graph output with the given dims
// (none: shape left to the runtime).
func (g *Graph) Output(name string, dims ...Dim) {
	if !g.defined[name] {
		g.fail(fmt.Errorf("%w: output %q is not produced by any node or input", ErrUnknown, name))
		return
	}
	g.p.Output = append(g.p.Output, valueInfo(name, pb.TensorProto_FLOAT, dims))
}

// Float adds a float32 initializer (weights) and returns its name.
func (g *Graph) Float(name string, dims []int64, data []float32) string {
	t, err := FloatTensor(name, dims, data)
	if err != nil {
		g.fail(err)
		return name
	}
	if g.define(name) {
		g.p.Initializer = append(g.p.Initializer, t)
	}
	return name
}

// Int64 adds an int64 initializer (shapes, axes, pads given as tensors) and returns its name.
func (g *Graph) Int64(name string, dims []int64, data []int64) string {
	t, err := Int64Tensor(name, dims, data)
	if err != nil {
		g.fail(err)
		return name
	}
	if g.define(name) {
		g.p.Initializer = append(g.p.Initializer, t)
	}
	return name
}

// Node appends a node computing outputs from inputs. Every non-empty input must already be
// defined (graph input, initializer or an earlier node's output), which keeps the graph
// topologically sorted as ONNX requires. An empty input name marks an omitted optional input.
func (g *Graph) Node(op string, inputs, outputs []string, attrs ...*pb.AttributeProto) {
	for _, in := range inputs {
		if in != "" && !g.defined[in] {
			g.fail(fmt.Errorf("%w: input %q of %s node", ErrUnknown, in, op))
			return
		}
	}
	for _, out := range outputs {
		if !g.define(out) {
			return
		}
	}
	g.seq++
	g.p.Node = append(g.p.Node, &pb.NodeProto{
		Name:      fmt.Sprintf("%s_%d", op, g.seq),
		OpType:    op,
		Input:     append([]string(nil), inputs...),
		Output:    append([]string(nil), outputs...),
		Attribute: attrs,
	})
}

// Apply appends a single-output node and returns the output's generated name.
func (g *Graph) Apply(op string, inputs []string, attrs ...*pb.AttributeProto) string {
	out := g.fresh(op)
	g.Node(op, inputs, []string{out}, attrs...)
	return out
}

// fresh returns an unused value name derived from op.
func (g *Graph) fresh(op string) string {
	for i := len(g.p.Node) + 1; ; i++ {
		name := fmt.Sprintf("%s_%d_out", op, i)
		if !g.defined[name] {
			return name
		}
	}
}

// Model checks the graph and wraps it in a model with producer metaood and the given metadata
// (key, value pairs, e.g. provenance). The Graph must not be used afterwards.
func (g *Graph) Model(metadata ...string) (*Model, error) {
	if g.err != nil {
		return nil, g.err
	}
	if len(metadata)%2 != 0 {
		return nil, fmt.Errorf("%w: metadata needs key, value pairs, got %d strings", ErrModel, len(metadata))
	}
	if len(g.p.Input) == 0 || len(g.p.Output) == 0 {
		return nil, fmt.Errorf("%w: graph %q needs at least one input and one output", ErrModel, g.p.Name)
	}
	m := &pb.ModelProto{
		IrVersion:       IRVersion,
		ProducerName:    "metaood",
		ProducerVersion: "1",
		OpsetImport:     []*pb.OperatorSetIdProto{{Domain: "", Version: g.opset}},
		Graph:           g.p,
	}
	for i := 0; i < len(metadata); i += 2 {
		m.MetadataProps = append(m.MetadataProps, &pb.StringStringEntryProto{Key: metadata[i], Value: metadata[i+1]})
	}
	return &Model{Proto: m}, nil
}

// valueInfo describes a tensor value; nil dims leave the shape unset.
func valueInfo(name string, elem pb.TensorProto_DataType, dims []Dim) *pb.ValueInfoProto {
	tt := &pb.TypeProto_Tensor{ElemType: int32(elem)}
	if dims != nil {
		shape := &pb.TensorShapeProto{}
		for _, d := range dims {
			dim := &pb.TensorShapeProto_Dimension{}
			if d.Param != "" {
				dim.Value = &pb.TensorShapeProto_Dimension_DimParam{DimParam: d.Param}
			} else {
				dim.Value = &pb.TensorShapeProto_Dimension_DimValue{DimValue: d.Size}
			}
			shape.Dim = append(shape.Dim, dim)
		}
		tt.Shape = shape
	}
	return &pb.ValueInfoProto{Name: name, Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{TensorType: tt}}}
}
