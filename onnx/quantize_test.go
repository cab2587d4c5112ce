package onnx

import (
	"errors"
	"slices"
	"testing"
)

// TestQuantizeConvs: every Conv reads dequantized int8 weights (per output channel), an int32
// bias and a quantized-dequantized input, and its output goes through QuantizeLinear and
// DequantizeLinear under its old name, so the rest of the graph is untouched.
func TestQuantizeConvs(t *testing.T) {
	m := tinyGraph(t) // image → Conv(w, b) → Relu → AveragePool → logits
	tensors := m.ConvTensors()
	if len(tensors) != 2 || tensors[0] != "image" {
		t.Fatalf("ConvTensors = %v, want image and the conv output", tensors)
	}
	if err := m.QuantizeConvs(map[string]Range{"image": {0, 1}}); !errors.Is(err, ErrUnknown) {
		t.Fatalf("a missing range: err = %v, want ErrUnknown", err)
	}
	ranges := map[string]Range{tensors[0]: {0, 1}, tensors[1]: {-3, 5}}
	if err := m.QuantizeConvs(ranges); err != nil {
		t.Fatal(err)
	}
	ops := []string{}
	for _, n := range m.Proto.Graph.Node {
		ops = append(ops, n.GetOpType())
	}
	want := []string{"QuantizeLinear", "DequantizeLinear", "DequantizeLinear", "DequantizeLinear", "Conv", "QuantizeLinear", "DequantizeLinear", "Relu", "AveragePool", "Identity"}
	if !slices.Equal(ops, want) {
		t.Fatalf("nodes %v, want %v", ops, want)
	}
	conv := m.Proto.Graph.Node[4]
	for i, in := range conv.GetInput() {
		if p := m.Producer(in); p == nil || p.GetOpType() != "DequantizeLinear" {
			t.Errorf("conv input %d (%s) is not dequantized", i, in)
		}
	}
	if relu := m.Proto.Graph.Node[7]; m.Producer(relu.GetInput()[0]).GetOpType() != "DequantizeLinear" {
		t.Error("the conv's consumer does not read the dequantized output")
	}
	if s, z := uint8Params(Range{-3, 5}); z != 96 || s != 8.0/255 {
		t.Errorf("uint8Params(-3, 5) = %v, %d; want 8/255, 96", s, z)
	}
	if _, err := m.Marshal(); err != nil {
		t.Fatal(err)
	}
}
