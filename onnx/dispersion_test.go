package onnx

import (
	"errors"
	"slices"
	"testing"

	"github.com/metaood/metaood/onnx/pb"
)

// batchOne builds image [1,3,4,8] → Conv → Reshape [1,-1] and [1,3,32] → logits [1,3,4,8]:
// a batch-1 export with the batch written into its Reshape targets.
func batchOne(t *testing.T, opset int64) *Model {
	t.Helper()
	g := NewGraph("b1")
	g.opset = opset
	x := g.Input("image", Fixed(1), Fixed(3), Fixed(4), Fixed(8))
	c := g.Conv(x, g.Float("w", []int64{3, 3, 1, 1}, []float32{1, 0, 0, 0, 1, 0, 0, 0, 1}), "", 0)
	flat := g.Apply("Reshape", []string{c, g.Int64("flat", []int64{2}, []int64{1, -1})})
	back := g.Apply("Reshape", []string{flat, g.Int64("chw", []int64{4}, []int64{1, 3, 4, 8})})
	g.Node("Identity", []string{back}, []string{"logits"})
	g.Output("logits", Fixed(1), Fixed(3), Fixed(4), Fixed(8))
	m, err := g.Model()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAddDispersionHead(t *testing.T) {
	m := batchOne(t, 13)
	if err := m.AddDispersionHead("logits", 2, 0.6); err != nil {
		t.Fatal(err)
	}
	if got, want := m.Outputs(), []string{DispEntropy, DispArgmax, DispTop2, DispMaskProbs}; !slices.Equal(got, want) {
		t.Fatalf("outputs %v, want %v", got, want)
	}
	out := m.Proto.Graph.Output
	if e := out[1].GetType().GetTensorType().GetElemType(); e != int32(pb.TensorProto_UINT8) {
		t.Errorf("argmax element type %d, want uint8", e)
	}
	if d := out[3].GetType().GetTensorType().GetShape().GetDim(); d[0].GetDimValue() != 2 || d[1].GetDimParam() != "M" {
		t.Errorf("mask probabilities dims %v, want [2, M]", d)
	}
	if d := out[0].GetType().GetTensorType().GetShape().GetDim(); len(d) != 3 || d[2].GetDimValue() != 8 {
		t.Errorf("entropy dims %v, want [1, 4, 8]", d)
	}
	// Two of three classes kept: a Slice first. The model still marshals and loads.
	if m.Producer(DispArgmax) == nil || !slices.ContainsFunc(m.Proto.Graph.Node, func(n *pb.NodeProto) bool { return n.OpType == "Slice" }) {
		t.Error("no Slice for the kept classes")
	}
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(data); err != nil {
		t.Fatal(err)
	}
}

func TestAddDispersionHeadErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opset   int64
		logits  string
		classes int
		thr     float32
		want    error
	}{
		{"opset 12", 12, "logits", 0, 0.7, ErrModel},
		{"unknown scores", 13, "scores", 0, 0.7, ErrUnknown},
		{"one class", 13, "logits", 1, 0.7, ErrShape},
		{"threshold", 13, "logits", 0, 1.5, ErrShape},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := batchOne(t, tc.opset).AddDispersionHead(tc.logits, tc.classes, tc.thr); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	m := batchOne(t, 13)
	if err := m.AddDispersionHead("logits", 0, 0.7); err != nil {
		t.Fatal(err)
	}
	if err := m.AddDispersionHead("logits", 0, 0.7); !errors.Is(err, ErrDuplicate) {
		t.Errorf("a second head: err = %v, want ErrDuplicate", err)
	}
}

func TestDynamicBatch(t *testing.T) {
	m := batchOne(t, 13)
	if err := m.DynamicBatch(); err != nil {
		t.Fatal(err)
	}
	for _, v := range append(m.Proto.Graph.Input, m.Proto.Graph.Output...) {
		if d := v.GetType().GetTensorType().GetShape().GetDim()[0]; d.GetDimParam() != "N" {
			t.Errorf("%s batch dim %v, want N", v.GetName(), d)
		}
	}
	for name, want := range map[string][]int64{"flat": {0, -1}, "chw": {-1, 3, 4, 8}} {
		if got, err := m.ConstantInts(name); err != nil || !slices.Equal(got, want) {
			t.Errorf("Reshape target %s = %v (%v), want %v", name, got, err, want)
		}
	}
	if err := m.DynamicBatch(); err != nil {
		t.Errorf("a dynamic batch again: %v", err)
	}

	// A constant Expand shape may hold the batch: refused, the model left as it was.
	g := NewGraph("expand")
	x := g.Input("image", Fixed(1), Fixed(3), Fixed(4), Fixed(8))
	g.Node("Expand", []string{x, g.Int64("shape", []int64{4}, []int64{1, 3, 4, 8})}, []string{"logits"})
	g.Output("logits", Fixed(1), Fixed(3), Fixed(4), Fixed(8))
	e, err := g.Model()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.DynamicBatch(); !errors.Is(err, ErrShape) {
		t.Errorf("Expand: err = %v, want ErrShape", err)
	}
	if d := e.Proto.Graph.Input[0].GetType().GetTensorType().GetShape().GetDim()[0]; d.GetDimValue() != 1 {
		t.Errorf("a refused model was changed: batch %v", d)
	}
}
