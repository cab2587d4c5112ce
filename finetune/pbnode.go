package finetune

import "github.com/metaood/metaood/onnx/pb"

// NodeSpec is a node to insert into an existing graph (see InputNodes and Head.Insert).
type NodeSpec struct {
	op     string
	inputs []string
	output string
	attrs  []*pb.AttributeProto
}

// Node builds the node, named name.
func (s *NodeSpec) Node(name string) *pb.NodeProto {
	return &pb.NodeProto{Name: name, OpType: s.op, Input: s.inputs, Output: []string{s.output}, Attribute: s.attrs}
}
