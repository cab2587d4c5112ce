//go:build cgo

// ONNX Runtime smoke tests: the graph Build writes must compute what the Go reference computes.
// They need the ONNX Runtime library (`make setup` fetches it; infer.Init finds it).
// The segmodel package itself stays pure Go: only these tests use cgo.
package segmodel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/metaood/metaood/infer"
	"github.com/metaood/metaood/internal/cputime"
	"github.com/metaood/metaood/onnx"
)

var ortErr error // why ONNX Runtime could not start; tests that need it fail with it

func TestMain(m *testing.M) {
	// The same search `metaood run` does: --ort-lib, METAOOD_ORT_LIB, then <repo>/.cache/ort.
	ortErr = infer.Init("")
	code := m.Run()
	if ortErr == nil {
		_ = infer.Shutdown()
	}
	os.Exit(code)
}

// ortSession opens a session on model bytes with the project's CPU settings (FINDINGS.md),
// reading OutputName or, when given, the named outputs.
func ortSession(tb testing.TB, model []byte, threads int, outputs ...string) *ort.DynamicAdvancedSession {
	tb.Helper()
	if ortErr != nil {
		tb.Fatalf("ONNX Runtime unavailable: %v", ortErr)
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		tb.Fatal(err)
	}
	defer opts.Destroy()
	for _, err := range []error{
		opts.SetIntraOpNumThreads(threads), opts.SetInterOpNumThreads(1),
		opts.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"),
	} {
		if err != nil {
			tb.Fatal(err)
		}
	}
	if len(outputs) == 0 {
		outputs = []string{OutputName}
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(model, []string{InputName}, outputs, opts)
	if err != nil {
		tb.Fatalf("ONNX Runtime rejected the model: %v", err)
	}
	tb.Cleanup(func() { s.Destroy() })
	return s
}

// ortRun runs the session on a batch of n images (n × 3 × h × w) and returns the logits.
func ortRun(tb testing.TB, s *ort.DynamicAdvancedSession, img []float32, n, h, w int) []float32 {
	tb.Helper()
	in, err := ort.NewTensor(ort.NewShape(int64(n), 3, int64(h), int64(w)), img)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Destroy()
	out, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(n), Classes, int64(h), int64(w)))
	if err != nil {
		tb.Fatal(err)
	}
	defer out.Destroy()
	if err := s.Run([]ort.Value{in}, []ort.Value{out}); err != nil {
		tb.Fatalf("ONNX Runtime run at %dx%dx%d: %v", n, h, w, err)
	}
	return append([]float32(nil), out.GetData()...)
}

func randomImage(rng *rand.Rand, n int) []float32 {
	img := make([]float32, n)
	for i := range img {
		img[i] = rng.Float32()
	}
	return img
}

// TestORTMatchesGo runs a random-weights net through ONNX Runtime and the Go reference at odd
// sizes (dynamic H/W), with a batch of 2 (dynamic N), and requires agreement within 1e-4.
func TestORTMatchesGo(t *testing.T) {
	net := NewNet(16, 12, 42)
	// Non-zero biases so every term of the graph is exercised.
	for i := range net.B1 {
		net.B1[i] = 0.1 * float32(i%5-2)
	}
	for i := range net.B3 {
		net.B3[i] = 0.05 * float32(i)
	}
	m, err := net.Build()
	if err != nil {
		t.Fatal(err)
	}
	model, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s := ortSession(t, model, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range []struct{ n, h, w int }{{1, 37, 53}, {2, 24, 31}, {1, 5, 9}, {1, 64, 128}} {
		t.Run(fmt.Sprintf("%dx%dx%d", sz.n, sz.h, sz.w), func(t *testing.T) {
			hw := sz.h * sz.w
			img := randomImage(rng, sz.n*3*hw)
			got := ortRun(t, s, img, sz.n, sz.h, sz.w)
			for b := range sz.n {
				want, err := net.Forward(img[b*3*hw:(b+1)*3*hw], sz.h, sz.w, nil)
				if err != nil {
					t.Fatal(err)
				}
				maxDiff := 0.0
				for i, v := range want {
					maxDiff = math.Max(maxDiff, math.Abs(float64(v-got[b*Classes*hw+i])))
				}
				t.Logf("image %d: max |ORT - Go| = %.3g", b, maxDiff)
				if maxDiff > 1e-4 {
					t.Fatalf("image %d: ORT and Go differ by %g (> 1e-4)", b, maxDiff)
				}
			}
		})
	}
}

// TestORTTinyMatchesGo checks the embedded model the same way.
func TestORTTinyMatchesGo(t *testing.T) {
	net, err := FromONNX(Tiny())
	if err != nil {
		t.Fatal(err)
	}
	s := ortSession(t, Tiny(), 1)
	const h, w = 41, 67
	img := randomImage(rand.New(rand.NewPCG(3, 4)), 3*h*w)
	got := ortRun(t, s, img, 1, h, w)
	want, err := net.Forward(img, h, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range want {
		if d := math.Abs(float64(v - got[i])); d > 1e-4 {
			t.Fatalf("logit %d: ORT %g, Go %g", i, got[i], v)
		}
	}
}

// TestORTEditedModel exercises the onnx editor end to end: expose the feature maps (the input of
// the first convolution) as a second output and shift the last bias with ReplaceInitializer, then
// check both against the Go reference in ONNX Runtime.
func TestORTEditedModel(t *testing.T) {
	m, err := onnx.Load(Tiny())
	if err != nil {
		t.Fatal(err)
	}
	var feats string
	for _, n := range m.Proto.GetGraph().GetNode() {
		if n.GetOpType() == "Conv" && len(n.GetInput()) > 1 && n.GetInput()[1] == initW1 {
			feats = n.GetInput()[0]
		}
	}
	if feats == "" {
		t.Fatal("no first-layer Conv in the embedded model")
	}
	if err := m.AddOutput(feats); err != nil {
		t.Fatal(err)
	}
	_, b3, err := m.Initializer(initB3)
	if err != nil {
		t.Fatal(err)
	}
	shifted := make([]float32, len(b3))
	for i, v := range b3 {
		shifted[i] = v + float32(i)
	}
	if err := m.ReplaceInitializer(initB3, shifted); err != nil {
		t.Fatal(err)
	}
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s := ortSession(t, data, 1, OutputName, feats)
	const h, w = 19, 33
	img := randomImage(rand.New(rand.NewPCG(8, 9)), 3*h*w)
	in, err := ort.NewTensor(ort.NewShape(1, 3, h, w), img)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Destroy()
	outs := []ort.Value{nil, nil} // let ONNX Runtime allocate both outputs
	if err := s.Run([]ort.Value{in}, outs); err != nil {
		t.Fatal(err)
	}
	defer outs[0].Destroy()
	defer outs[1].Destroy()
	gotLogits := outs[0].(*ort.Tensor[float32]).GetData()
	gotFeats := outs[1].(*ort.Tensor[float32]).GetData()

	var f Features
	if err := ComputeFeatures(img, h, w, &f); err != nil {
		t.Fatal(err)
	}
	x := make([]float32, NumFeatures)
	for i := range h {
		for j := range w {
			f.At(i, j, x)
			for k, v := range x {
				if d := math.Abs(float64(v - gotFeats[k*h*w+i*w+j])); d > 1e-5 {
					t.Fatalf("feature %s at (%d,%d): ORT %g, Go %g", FeatureNames[k], i, j, gotFeats[k*h*w+i*w+j], v)
				}
			}
		}
	}
	net, err := FromONNX(Tiny())
	if err != nil {
		t.Fatal(err)
	}
	want, err := net.Forward(img, h, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	for c := range Classes {
		for p := range h * w {
			if d := math.Abs(float64(want[c*h*w+p] + float32(c) - gotLogits[c*h*w+p])); d > 1e-4 {
				t.Fatalf("class %d pixel %d: edited bias not applied (ORT %g, Go %g + %d)", c, p, gotLogits[c*h*w+p], want[c*h*w+p], c)
			}
		}
	}
}

// TestORTTinyHeldOutFrame runs the embedded model the way the product does (ONNX Runtime, one
// 1024×512 held-out frame) and scores ONNX Runtime's own logits.
func TestORTTinyHeldOutFrame(t *testing.T) {
	const w, h = 1024, 512
	ds := heldOut(t, 1, Size{w, h})
	var img Image
	ds.Image(0, &img)
	rgb, err := RGBFromBGR(img.BGR, w, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	logits := ortRun(t, ortSession(t, Tiny(), 2), rgb, 1, h, w)
	var known, correct int
	px := make([]float32, Classes)
	for p, l := range img.GT {
		if l >= Classes {
			continue
		}
		for c := range Classes {
			px[c] = logits[c*w*h+p]
		}
		known++
		if argmax(px) == int(l) {
			correct++
		}
	}
	acc := float64(correct) / float64(known)
	t.Logf("ONNX Runtime pixel accuracy on a held-out 1024x512 frame: %.4f (%d pixels)", acc, known)
	if acc < 0.9 {
		t.Errorf("pixel accuracy %.4f < 0.9", acc)
	}
}

// BenchmarkORTTiny1024x512 times the embedded model in ONNX Runtime on one intra-op thread at
// the default frame size. cpu-ms/op is the process CPU time per frame: steadier than wall time
// on a shared machine.
func BenchmarkORTTiny1024x512(b *testing.B) {
	s := ortSession(b, Tiny(), 1)
	const h, w = 512, 1024
	img := randomImage(rand.New(rand.NewPCG(5, 6)), 3*h*w)
	in, err := ort.NewTensor(ort.NewShape(1, 3, h, w), img)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Destroy()
	out, err := ort.NewEmptyTensor[float32](ort.NewShape(1, Classes, h, w))
	if err != nil {
		b.Fatal(err)
	}
	defer out.Destroy()
	cpu0 := cputime.Process()
	n := 0
	for b.Loop() {
		n++
		if err := s.Run([]ort.Value{in}, []ort.Value{out}); err != nil {
			b.Fatal(err)
		}
	}
	cpu := cputime.Process() - cpu0
	b.ReportMetric(float64(cpu.Nanoseconds())/1e6/float64(n), "cpu-ms/op")
}
