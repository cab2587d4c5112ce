//go:build cgo

// ONNX Runtime smoke tests: the graph Build writes must compute what the Go reference computes.
// They need the ONNX Runtime library (METAOOD_ORT_LIB; `make setup` fetches it and the Makefile sets it).
// The segmodel package itself stays pure Go: only these tests use cgo.
package segmodel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
)

var ortErr error // why ONNX Runtime could not start; tests that need it fail with it

func TestMain(m *testing.M) {
	lib := os.Getenv("METAOOD_ORT_LIB")
	if lib == "" {
		ortErr = fmt.Errorf("METAOOD_ORT_LIB is not set: run `make setup` and use `make test`, or export METAOOD_ORT_LIB=<repo>/.cache/ort/libonnxruntime.so.1")
	} else if _, err := os.Stat(lib); err != nil {
		ortErr = fmt.Errorf("METAOOD_ORT_LIB=%s: %v (run `make setup`)", lib, err)
	} else {
		ort.SetSharedLibraryPath(lib)
		ortErr = ort.InitializeEnvironment()
	}
	code := m.Run()
	if ortErr == nil {
		_ = ort.DestroyEnvironment()
	}
	os.Exit(code)
}

// ortSession opens a session on model bytes with the project's CPU settings (FINDINGS.md).
func ortSession(tb testing.TB, model []byte, threads int) *ort.DynamicAdvancedSession {
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
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(model, []string{InputName}, []string{OutputName}, opts)
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

// BenchmarkORTTiny1024x512 times the embedded model in ONNX Runtime on one thread at the default frame size.
func BenchmarkORTTiny1024x512(b *testing.B) {
	s := ortSession(b, Tiny(), 1)
	const h, w = 512, 1024
	img := randomImage(rand.New(rand.NewPCG(5, 6)), 3*h*w)
	in, _ := ort.NewTensor(ort.NewShape(1, 3, h, w), img)
	defer in.Destroy()
	out, _ := ort.NewEmptyTensor[float32](ort.NewShape(1, Classes, h, w))
	defer out.Destroy()
	b.ResetTimer()
	for b.Loop() {
		if err := s.Run([]ort.Value{in}, []ort.Value{out}); err != nil {
			b.Fatal(err)
		}
	}
}
