package onnx

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/metaood/metaood/onnx/pb"
)

// tinyGraph builds image → Conv(3→2, 3×3) → Relu → AveragePool, with symbolic N/H/W.
func tinyGraph(t *testing.T) *Model {
	t.Helper()
	g := NewGraph("tiny")
	x := g.Input("image", Sym("N"), Fixed(3), Sym("H"), Sym("W"))
	w := make([]float32, 2*3*3*3)
	for i := range w {
		w[i] = float32(i%7) - 3
	}
	h := g.Relu(g.Conv(x, g.Float("w", []int64{2, 3, 3, 3}, w), g.Float("b", []int64{2}, []float32{0.5, -0.5}), 1))
	p := g.AveragePool(h, 3, 3, 1, 1)
	g.Node("Identity", []string{p}, []string{"logits"})
	g.Output("logits", Sym("N"), Fixed(2), Sym("H"), Sym("W"))
	m, err := g.Model("trained", "test")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRoundTrip(t *testing.T) {
	m := tinyGraph(t)
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(m.Proto, back.Proto) {
		t.Fatal("Marshal → Load changed the model")
	}
	again, _ := back.Marshal()
	if !bytes.Equal(data, again) {
		t.Fatal("marshalling is not deterministic")
	}
	if got := back.Inputs(); !slices.Equal(got, []string{"image"}) {
		t.Errorf("Inputs = %v", got)
	}
	if got := back.Outputs(); !slices.Equal(got, []string{"logits"}) {
		t.Errorf("Outputs = %v", got)
	}
	if v, ok := back.Metadata("trained"); !ok || v != "test" {
		t.Errorf("Metadata(trained) = %q, %v", v, ok)
	}
	dim := back.Proto.Graph.Input[0].Type.GetTensorType().Shape.Dim
	if dim[0].GetDimParam() != "N" || dim[1].GetDimValue() != 3 || dim[3].GetDimParam() != "W" {
		t.Errorf("input dims not kept: %v", dim)
	}
	if back.Proto.IrVersion != IRVersion || back.Proto.OpsetImport[0].Version != Opset {
		t.Errorf("versions: ir %d opset %d", back.Proto.IrVersion, back.Proto.OpsetImport[0].Version)
	}
}

func TestEditor(t *testing.T) {
	m := tinyGraph(t)
	relu := m.Proto.Graph.Node[1].Output[0]
	if err := m.AddOutput(relu); err != nil {
		t.Fatal(err)
	}
	if got := m.Outputs(); !slices.Equal(got, []string{"logits", relu}) {
		t.Fatalf("Outputs after AddOutput = %v", got)
	}
	if err := m.ReplaceInitializer("b", []float32{7, 8}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dims, b, err := back.Initializer("b")
	if err != nil || !slices.Equal(dims, []int64{2}) || !slices.Equal(b, []float32{7, 8}) {
		t.Fatalf("Initializer(b) = %v %v %v", dims, b, err)
	}
	if got := back.Outputs(); len(got) != 2 {
		t.Fatalf("saved model lost the added output: %v", got)
	}
}

func TestEditorErrors(t *testing.T) {
	m := tinyGraph(t)
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"output twice", m.AddOutput("logits"), ErrDuplicate},
		{"unknown output", m.AddOutput("nope"), ErrUnknown},
		{"unknown initializer", m.ReplaceInitializer("nope", nil), ErrUnknown},
		{"wrong count", m.ReplaceInitializer("w", []float32{1}), ErrShape},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !errors.Is(c.err, c.want) {
				t.Fatalf("got %v, want %v", c.err, c.want)
			}
		})
	}
}

func TestBuilderErrors(t *testing.T) {
	cases := []struct {
		name  string
		build func(g *Graph)
		want  error
	}{
		{"duplicate input", func(g *Graph) { g.Input("x"); g.Input("x") }, ErrDuplicate},
		{"duplicate initializer", func(g *Graph) { g.Input("x"); g.Float("x", []int64{1}, []float32{1}) }, ErrDuplicate},
		{"undefined node input", func(g *Graph) { g.Input("x"); g.Relu("y") }, ErrUnknown},
		{"undefined output", func(g *Graph) { g.Input("x"); g.Output("y") }, ErrUnknown},
		{"data vs dims", func(g *Graph) { g.Input("x"); g.Float("w", []int64{2, 2}, []float32{1, 2, 3}) }, ErrShape},
		{"negative dim", func(g *Graph) { g.Input("x"); g.Int64("s", []int64{-1}, nil) }, ErrShape},
		{"no output", func(g *Graph) { g.Input("x") }, ErrModel},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewGraph("bad")
			c.build(g)
			if _, err := g.Model(); !errors.Is(err, c.want) {
				t.Fatalf("Model() error = %v, want %v", err, c.want)
			}
		})
	}
}

func TestFloatsForms(t *testing.T) {
	want := []float32{1.5, -2, 3e-7}
	raw, err := FloatTensor("r", []int64{3}, want)
	if err != nil {
		t.Fatal(err)
	}
	packed := &pb.TensorProto{Name: "p", Dims: []int64{3}, DataType: int32(pb.TensorProto_FLOAT), FloatData: want}
	for _, tt := range []*pb.TensorProto{raw, packed} {
		got, err := Floats(tt)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: Floats = %v, %v", tt.Name, got, err)
		}
	}
	i64, _ := Int64Tensor("i", []int64{1}, []int64{4})
	if _, err := Floats(i64); !errors.Is(err, ErrType) {
		t.Errorf("Floats(int64) error = %v, want ErrType", err)
	}
	short := &pb.TensorProto{Name: "s", Dims: []int64{3}, DataType: int32(pb.TensorProto_FLOAT), RawData: []byte{1, 2, 3, 4}}
	if _, err := Floats(short); !errors.Is(err, ErrShape) {
		t.Errorf("Floats(short raw) error = %v, want ErrShape", err)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load([]byte("not a model")); !errors.Is(err, ErrModel) {
		t.Errorf("Load(garbage) = %v, want ErrModel", err)
	}
	if _, err := Load(nil); !errors.Is(err, ErrModel) {
		t.Errorf("Load(nil) = %v, want ErrModel", err)
	}
	_, err := LoadFile(filepath.Join(t.TempDir(), "missing.onnx"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadFile(missing) = %v, want not-exist", err)
	}
}

func FuzzLoad(f *testing.F) {
	g := NewGraph("f")
	g.Output(g.Relu(g.Input("x", Fixed(1))))
	m, err := g.Model()
	if err != nil {
		f.Fatal(err)
	}
	data, _ := m.Marshal()
	f.Add(data)
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Load(b)
		if err != nil {
			return
		}
		// Anything Load accepts must survive a Marshal → Load round trip and the editors must not panic.
		out, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Load(out); err != nil {
			t.Fatalf("re-load of accepted model failed: %v", err)
		}
		for _, in := range m.Proto.GetGraph().GetInitializer() {
			_, _, _ = m.Initializer(in.GetName())
		}
		_ = m.AddOutput("x")
	})
}
