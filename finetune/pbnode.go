package finetune

import "metaood/onnx/pb"

type pbNode = pb.NodeProto

// NodeSpec is a node to insert into an existing graph.
type NodeSpec = nodeSpec

// Node builds the node, named name.
func (s *nodeSpec) Node(name string) *pb.NodeProto { return s.node(name) }

// nodeSpec is a node to insert into an existing graph.
type nodeSpec struct {
	op     string
	inputs []string
	output string
	attr   *pb.AttributeProto
	more   []*pb.AttributeProto
}

func (s *nodeSpec) node(name string) *pb.NodeProto {
	n := &pb.NodeProto{Name: name, OpType: s.op, Input: s.inputs, Output: []string{s.output}}
	if s.attr != nil {
		n.Attribute = []*pb.AttributeProto{s.attr}
	}
	n.Attribute = append(n.Attribute, s.more...)
	return n
}
