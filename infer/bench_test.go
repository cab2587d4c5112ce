package infer

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/internal/sharedtest"
	"github.com/metaood/metaood/onnx"
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

// BenchmarkInfer: one frame per op through a 1x1 conv 3→19 at 1024x512 (the engine's own
// overhead: preprocessing, tensors, output handling), a small real Cityscapes model (../shared; a
// 960x540 frame, resized) and the shipped real model on a road frame of a clip, with and without
// the dispersion head, on the CPU provider. B/op and allocs/op show what a frame allocates: with the
// output tensors reused, nothing proportional to the map except the head's kept probabilities.
func BenchmarkInfer(b *testing.B) {
	w := make([][3]float32, 19)
	for i := range w {
		w[i] = [3]float32{float32(i), 1, -1}
	}
	conv := convModel(w, make([]float32, 19), dynIn(), dynOut(19), 1)
	models := []struct {
		name, file string
		head       bool
	}{
		{"conv1x1", "", false},
		{"espnet_p2q8", "espnet_p2q8_cityscapes_512x1024_rgb01.onnx", false},
		{"espnetv2-ood", "../models/espnetv2-ood.onnx", false},
		{"espnetv2-ood-head", "../models/espnetv2-ood.onnx", true},
	}
	for _, m := range models {
		b.Run(m.name, func(b *testing.B) {
			data := conv
			f := solid("b", 0, 1024, 512, 90, 120, 150)
			switch {
			case strings.HasPrefix(m.file, "../"):
				var err error
				if data, err = LoadModel(m.file); err != nil {
					b.Fatal(err)
				}
				// A road frame: the head's kept pixels (and their copy) depend on what is uncertain.
				f = readFrame(b, filepath.Join(sharedtest.Path(b, "video"), "udacity_solidWhiteRight.mp4"))
			case m.file != "":
				var err error
				if data, err = LoadModel(filepath.Join(sharedtest.Path(b, "models"), m.file)); err != nil {
					b.Fatal(err)
				}
				f = solid("b", 0, 960, 540, 90, 120, 150)
			}
			e, err := New(Config{Model: data, Classes: 19, DispersionHead: m.head}, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			for range 2 { // warm-up: the first runs make the tensors
				outs, err := e.Infer([]*frame.Frame{f})
				if err != nil {
					b.Fatal(err)
				}
				outs[0].Release()
			}
			b.ResetTimer()
			for b.Loop() {
				outs, err := e.Infer([]*frame.Frame{f})
				if err != nil {
					b.Fatal(err)
				}
				outs[0].Release()
			}
		})
	}
}

// BenchmarkORTSettings: ms per frame of the shipped real model on a 1024x512 frame under ONNX
// Runtime's session settings (graph optimization level, intra-op threads, memory arena,
// execution mode). Every setting has its own engine and each op runs one frame through each of
// them in turn, so load from elsewhere falls on all alike; SETTING-best-ms is the fastest run of
// each (on a shared machine the minimum is the steadiest figure). -benchtime 8x = best of 8.
// int8-2t is the model with every convolution quantized (QDQ, onnx.QuantizeConvs) at made-up
// activation ranges: the speed of ONNX Runtime's integer convolutions does not depend on them.
func BenchmarkORTSettings(b *testing.B) {
	data, err := LoadModel("../models/espnetv2-ood.onnx")
	if err != nil {
		b.Fatal(err)
	}
	m, err := onnx.Load(data)
	if err != nil {
		b.Fatal(err)
	}
	ranges := map[string]onnx.Range{}
	for _, name := range m.ConvTensors() {
		ranges[name] = onnx.Range{Min: -8, Max: 8}
	}
	if err := m.QuantizeConvs(ranges); err != nil {
		b.Fatal(err)
	}
	int8Model, err := m.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	f := gradient("b", 0, 1024, 512)
	settings := []struct {
		name    string
		threads int
		tuning  ortTuning
		model   []byte // nil: the float model
	}{
		{"default-2t", 2, ortTuning{}, nil},
		{"basic-2t", 2, ortTuning{optLevel: "basic"}, nil},
		{"extended-2t", 2, ortTuning{optLevel: "extended"}, nil},
		{"noarena-2t", 2, ortTuning{noArena: true}, nil},
		{"parallel-2t", 2, ortTuning{parallel: true}, nil},
		{"default-1t", 1, ortTuning{}, nil},
		{"int8-2t", 2, ortTuning{}, int8Model},
	}
	engines := make([]*Engine, len(settings))
	for i, st := range settings {
		model := data
		if st.model != nil {
			model = st.model
		}
		if engines[i], err = New(Config{Model: model, Classes: 19, Threads: st.threads, tuning: st.tuning}, nil); err != nil {
			b.Fatal(err)
		}
		defer engines[i].Close()
	}
	run := func(e *Engine) time.Duration {
		t0 := time.Now()
		outs, err := e.Infer([]*frame.Frame{f})
		if err != nil {
			b.Fatal(err)
		}
		outs[0].Release()
		return time.Since(t0)
	}
	best := make([]time.Duration, len(settings))
	for i, e := range engines {
		run(e) // warm-up
		best[i] = time.Duration(math.MaxInt64)
	}
	for b.Loop() {
		for i, e := range engines {
			best[i] = min(best[i], run(e))
		}
	}
	for i, st := range settings {
		b.ReportMetric(float64(best[i])/1e6, st.name+"-best-ms")
	}
}
