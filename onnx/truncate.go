package onnx

import (
	"fmt"

	"github.com/metaood/metaood/onnx/pb"
)

// Truncate cuts the graph at value name: name becomes the only graph output, declared as a
// float32 tensor of rank len(dims) (symbolic dims are fine), and every node, initializer and
// value_info that does not contribute to it is dropped, so a runtime computes only the part of
// the network in front of the cut. It fails with ErrUnknown when nothing produces name.
func (m *Model) Truncate(name string, dims ...Dim) error {
	if !m.has(name) {
		return fmt.Errorf("%w: no node, input or initializer produces %q", ErrUnknown, name)
	}
	g := m.Proto.GetGraph()
	producer := map[string]*pb.NodeProto{}
	for _, n := range g.GetNode() {
		for _, o := range n.GetOutput() {
			producer[o] = n
		}
	}
	needed := map[string]bool{}
	keep := map[*pb.NodeProto]bool{}
	stack := []string{name}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if v == "" || needed[v] {
			continue
		}
		needed[v] = true
		if n := producer[v]; n != nil && !keep[n] {
			keep[n] = true
			stack = append(stack, n.GetInput()...)
		}
	}
	var nodes []*pb.NodeProto
	for _, n := range g.GetNode() { // keep the original (topological) order
		if keep[n] {
			nodes = append(nodes, n)
		}
	}
	g.Node = nodes
	var inits []*pb.TensorProto
	for _, t := range g.GetInitializer() {
		if needed[t.GetName()] {
			inits = append(inits, t)
		}
	}
	g.Initializer = inits
	var infos []*pb.ValueInfoProto
	for _, v := range g.GetValueInfo() {
		if needed[v.GetName()] && v.GetName() != name {
			infos = append(infos, v)
		}
	}
	g.ValueInfo = infos
	g.Output = []*pb.ValueInfoProto{valueInfo(name, pb.TensorProto_FLOAT, dims)}
	return nil
}

// Producer returns the node that outputs value name, or nil (a graph input or initializer).
func (m *Model) Producer(name string) *pb.NodeProto {
	for _, n := range m.Proto.GetGraph().GetNode() {
		for _, o := range n.GetOutput() {
			if o == name {
				return n
			}
		}
	}
	return nil
}

// Consumers returns the nodes that take value name as an input, in graph order.
func (m *Model) Consumers(name string) []*pb.NodeProto {
	var out []*pb.NodeProto
	for _, n := range m.Proto.GetGraph().GetNode() {
		for _, in := range n.GetInput() {
			if in == name {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

// ConstantInts returns the int64 values of name, which must be an initializer or the output of
// a Constant node (how exporters store Reshape shapes).
func (m *Model) ConstantInts(name string) ([]int64, error) {
	t, err := m.initializer(name)
	if err != nil {
		n := m.Producer(name)
		if n == nil || n.GetOpType() != "Constant" {
			return nil, fmt.Errorf("%w: %q is neither an initializer nor a Constant node", ErrUnknown, name)
		}
		for _, a := range n.GetAttribute() {
			if a.GetName() == "value" {
				t = a.GetT()
			}
		}
		if t == nil {
			return nil, fmt.Errorf("%w: Constant %q has no tensor value", ErrUnknown, name)
		}
	}
	return Int64s(t)
}
