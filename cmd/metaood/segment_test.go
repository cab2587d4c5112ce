package main

import (
	"errors"
	"math"
	"testing"

	"github.com/metaood/metaood/config"
	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/infer"
	"github.com/metaood/metaood/internal/app"
	"github.com/metaood/metaood/onnx"
)

// nanModel outputs sqrt(x − 0.5): NaN for dark pixels, finite for bright ones.
func nanModel(t *testing.T) []byte {
	t.Helper()
	g := onnx.NewGraph("nan")
	x := g.Input("image", onnx.Sym("N"), onnx.Fixed(3), onnx.Sym("H"), onnx.Sym("W"))
	d := g.Sub(x, g.Float("half", []int64{1}, []float32{0.5}))
	g.Node("Sqrt", []string{d}, []string{"logits"})
	g.Output("logits", onnx.Sym("N"), onnx.Fixed(3), onnx.Sym("H"), onnx.Sym("W"))
	m, err := g.Model()
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func solid(seq uint64, v byte) *frame.Frame {
	f := &frame.Frame{Source: "t", Seq: seq, W: 16, H: 8, Pix: make([]byte, 3*16*8)}
	for i := range f.Pix {
		f.Pix[i] = v
	}
	return f
}

// TestSegmenterIsolatesNaNFrames: a NaN frame in a batch becomes that frame's error; the others
// of the batch still get their maps, and the run is not stopped.
func TestSegmenterIsolatesNaNFrames(t *testing.T) {
	if err := infer.Init(""); err != nil {
		t.Fatalf("ONNX Runtime unavailable (run `make setup`): %v", err)
	}
	eng, err := infer.New(infer.Config{Model: nanModel(t), ModelName: "nan.onnx", Batch: 3, FullFiniteCheck: true}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	maps, err := eng.Segment([]*frame.Frame{solid(0, 255), solid(1, 0), solid(2, 230)})
	if err != nil {
		t.Fatalf("a NaN frame failed the batch: %v", err)
	}
	for i, m := range maps {
		wantErr := i == 1
		if (m.Err != nil) != wantErr || (wantErr && !errors.Is(m.Err, infer.ErrNonFinite)) || m.Frame.Seq != uint64(i) {
			t.Errorf("map %d: err %v, frame %d", i, m.Err, m.Frame.Seq)
		}
		if m.Err == nil && (m.C != 3 || len(m.Data) != 3*16*8) {
			t.Errorf("map %d: %dx%dx%d, %d values", i, m.C, m.H, m.W, len(m.Data))
		}
		if m.Release != nil {
			m.Release()
		}
	}
	// The analyzer turns NaN data (e.g. with a sampled finite check) into an error as well.
	if _, err := app.NewAnalyzer(config.Default(), nil).Analyze(nanMap()); err == nil {
		t.Error("NaN logits accepted by the analyzer")
	}
}

func nanMap() *frame.Map {
	d := make([]float32, 3*4*4)
	d[5] = float32(math.NaN())
	return &frame.Map{Frame: solid(0, 0), C: 3, H: 4, W: 4, Data: d, ScaleX: 4, ScaleY: 2}
}
