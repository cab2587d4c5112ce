package onnx

import (
	"fmt"
	"slices"

	"github.com/metaood/metaood/onnx/pb"
)

// DynamicBatch turns a model exported for a fixed batch of 1 into one that takes any batch N:
// the first dimension of every graph input and output becomes the symbol N, and each Reshape
// whose constant target shape starts with that 1 gets 0 there (copy N from its input) or −1
// (when no other entry is −1). Exporters write the batch into those shapes; other ops that could
// hold it (Expand, Tile, ConstantOfShape with constant shapes) make it fail with ErrShape rather
// than produce a model that silently mixes frames. The intermediate shapes (value_info) are
// dropped for the runtime to infer anew. A model whose batch is already dynamic is left alone.
func (m *Model) DynamicBatch() error {
	g := m.Proto.GetGraph()
	ins := m.Inputs()
	if len(ins) == 0 {
		return fmt.Errorf("%w: the model has no input", ErrModel)
	}
	var values []*pb.ValueInfoProto // the inputs a caller feeds (not initializers), the outputs
	for _, v := range g.GetInput() {
		if slices.Contains(ins, v.GetName()) {
			values = append(values, v)
		}
	}
	values = append(values, g.GetOutput()...)
	var batched []*pb.TensorShapeProto_Dimension
	for _, v := range values {
		d := v.GetType().GetTensorType().GetShape().GetDim()
		switch {
		case len(d) == 0:
			return fmt.Errorf("%w: %q has no declared shape", ErrShape, v.GetName())
		case d[0].GetDimParam() != "":
		case d[0].GetDimValue() != 1:
			return fmt.Errorf("%w: %q has batch %d; only a batch of 1 is made dynamic", ErrShape, v.GetName(), d[0].GetDimValue())
		default:
			batched = append(batched, d[0])
		}
	}
	if len(batched) == 0 {
		return nil
	}
	for _, n := range g.GetNode() {
		switch n.GetOpType() {
		case "Expand", "Tile", "ConstantOfShape":
			if len(n.GetInput()) > 1 && m.isConstant(n.GetInput()[len(n.GetInput())-1]) {
				return fmt.Errorf("%w: %s node %q has a constant shape, which may hold the batch; the batch cannot be made dynamic", ErrShape, n.GetOpType(), n.GetName())
			}
		}
	}
	// Rewrite every Reshape target first on copies, so that a failure leaves the model as it was.
	type edit struct {
		t    *pb.TensorProto
		vals []int64
	}
	var edits []edit
	done := map[string]bool{}
	for _, n := range g.GetNode() {
		if n.GetOpType() != "Reshape" || len(n.GetInput()) < 2 || done[n.GetInput()[1]] {
			continue
		}
		name := n.GetInput()[1]
		done[name] = true
		if !m.isConstant(name) {
			continue // computed from shapes at run time: follows the batch
		}
		for _, c := range m.Consumers(name) {
			if c.GetOpType() != "Reshape" || c.GetInput()[1] != name {
				return fmt.Errorf("%w: the Reshape target %q is also used by %s node %q", ErrShape, name, c.GetOpType(), c.GetName())
			}
		}
		t := m.constantTensor(name)
		vals, err := Int64s(t)
		if err != nil {
			return fmt.Errorf("reshape target %q: %w", name, err)
		}
		if len(vals) == 0 || vals[0] != 1 {
			continue
		}
		vals = append([]int64(nil), vals...)
		vals[0] = -1
		for _, v := range vals[1:] {
			if v == -1 {
				vals[0] = 0
				break
			}
		}
		edits = append(edits, edit{t, vals})
	}
	for _, e := range edits {
		nt, _ := Int64Tensor(e.t.GetName(), e.t.GetDims(), e.vals) // same element count: cannot fail
		e.t.RawData, e.t.Int64Data = nil, nt.Int64Data
	}
	for _, d := range batched {
		d.Value = &pb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}
	}
	g.ValueInfo = nil
	return nil
}

// isConstant reports whether name is an initializer or a Constant node's output.
func (m *Model) isConstant(name string) bool { return m.constantTensor(name) != nil }

// constantTensor returns the tensor of an initializer or Constant node called name, or nil.
func (m *Model) constantTensor(name string) *pb.TensorProto {
	if t, err := m.initializer(name); err == nil {
		return t
	}
	if n := m.Producer(name); n != nil && n.GetOpType() == "Constant" {
		for _, a := range n.GetAttribute() {
			if a.GetName() == "value" {
				return a.GetT()
			}
		}
	}
	return nil
}
