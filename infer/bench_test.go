package infer

import (
	"testing"

	"metaood/frame"
)

// BenchmarkPreprocess: BGR24 → planar floats with a preset, at model size (no resize) and from
// a 960x540 clip frame (bilinear resize to 1024x512 first).
func BenchmarkPreprocess(b *testing.B) {
	e := &Engine{}
	e.lut, e.src = presets["imagenet"].lut()
	for _, bc := range []struct {
		name string
		f    *frame.Frame
	}{{"1024x512", solid("b", 0, 1024, 512, 1, 2, 3)}, {"960x540-resize", solid("b", 0, 960, 540, 1, 2, 3)}} {
		b.Run(bc.name, func(b *testing.B) {
			dst := make([]float32, 3*1024*512)
			b.SetBytes(int64(len(bc.f.Pix)))
			for b.Loop() {
				if err := e.preprocess(bc.f, 1024, 512, dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFiniteCheck: the NaN/Inf scan of one 19x512x1024 output, full and sampled.
func BenchmarkFiniteCheck(b *testing.B) {
	v := make([]float32, 19*512*1024)
	for _, bc := range []struct {
		name  string
		check func([]float32) int
	}{{"full", firstNonFinite}, {"sample", sampleNonFinite}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if bc.check(v) >= 0 {
					b.Fatal("finite data reported")
				}
			}
		})
	}
}
