package onnx

import (
	"errors"
	"slices"
	"testing"

	"github.com/metaood/metaood/onnx/pb"
)

func TestTruncate(t *testing.T) {
	m := tinyGraph(t)
	relu := m.Producer("logits").GetInput()[0] // logits = Identity(AveragePool(Relu(Conv)))
	pool := m.Producer(relu)
	if pool == nil || pool.GetOpType() != "AveragePool" {
		t.Fatalf("producer of %q: %v", relu, pool)
	}
	cut := pool.GetInput()[0] // the Relu's output
	if cs := m.Consumers(cut); len(cs) != 1 || cs[0] != pool {
		t.Fatalf("consumers of %q: %v", cut, cs)
	}
	if err := m.Truncate(cut, Sym("N"), Fixed(2), Sym("H"), Sym("W")); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, n := range m.Proto.GetGraph().GetNode() {
		ops = append(ops, n.GetOpType())
	}
	if !slices.Equal(ops, []string{"Conv", "Relu"}) || !slices.Equal(m.Outputs(), []string{cut}) {
		t.Fatalf("after the cut: nodes %v, outputs %v", ops, m.Outputs())
	}
	if len(m.Proto.GetGraph().GetInitializer()) != 2 {
		t.Fatalf("initializers kept: %d, want w and b", len(m.Proto.GetGraph().GetInitializer()))
	}
	if _, err := m.Marshal(); err != nil {
		t.Fatal(err)
	}
	if err := m.Truncate("nothing"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("unknown value: %v", err)
	}
}

func TestConstantInts(t *testing.T) {
	g := NewGraph("c")
	x := g.Input("x", Fixed(1))
	g.Int64("shape", []int64{2}, []int64{4, -1})
	c, err := Int64Tensor("v", []int64{3}, []int64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	g.Node("Constant", nil, []string{"k"}, &pbAttr{Name: "value", T: c, Type: attrTensor})
	g.Node("Identity", []string{x}, []string{"y"})
	g.Output("y")
	m, err := g.Model()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		want []int64
	}{{"shape", []int64{4, -1}}, {"k", []int64{1, 2, 3}}} {
		got, err := m.ConstantInts(c.name)
		if err != nil || !slices.Equal(got, c.want) {
			t.Fatalf("%s: %v %v", c.name, got, err)
		}
	}
	if _, err := m.ConstantInts("y"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("a node output that is not a Constant: %v", err)
	}
}

type pbAttr = pb.AttributeProto

const attrTensor = pb.AttributeProto_TENSOR
