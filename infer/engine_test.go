package infer

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/metaood/metaood/frame"
)

func solid(src string, seq uint64, w, h int, b, g, r byte) *frame.Frame {
	pix := make([]byte, 3*w*h)
	for i := 0; i < len(pix); i += 3 {
		pix[i], pix[i+1], pix[i+2] = b, g, r
	}
	return &frame.Frame{Source: src, Seq: seq, W: w, H: h, Pix: pix}
}

func newEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	cfg.Threads = 1
	e, err := New(cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e
}

var identity = [][3]float32{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}

func dynIn() []dim         { return dims(dp("N"), dv(3), dp("H"), dp("W")) }
func dynOut(c int64) []dim { return dims(dp("N"), dv(c), dp("H"), dp("W")) }

// gauge reads one metric value from reg (labels as name=value pairs), or NaN.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, label ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(label); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == label[i] && lp.GetValue() == label[i+1] {
						found = true
					}
				}
				if !found {
					continue metric
				}
			}
			switch {
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return math.NaN()
}

func TestPresets(t *testing.T) {
	const b, g, r = 10, 128, 250
	cases := []struct {
		preset string
		want   [3]float64
	}{
		{"rgb01", [3]float64{r / 255.0, g / 255.0, b / 255.0}},
		{"bgr01", [3]float64{b / 255.0, g / 255.0, r / 255.0}},
		{"imagenet", [3]float64{(r/255.0 - 0.485) / 0.229, (g/255.0 - 0.456) / 0.224, (b/255.0 - 0.406) / 0.225}},
		{"bgr-imagenet", [3]float64{(b/255.0 - 0.406) / 0.225, (g/255.0 - 0.456) / 0.224, (r/255.0 - 0.485) / 0.229}},
	}
	model := convModel(identity, []float32{0, 0, 0}, dynIn(), dynOut(3), 1)
	for _, tc := range cases {
		t.Run(tc.preset, func(t *testing.T) {
			e := newEngine(t, Config{Model: model, Preset: tc.preset})
			outs, err := e.Infer([]*frame.Frame{solid("t", 0, 6, 4, b, g, r)})
			if err != nil {
				t.Fatal(err)
			}
			defer outs[0].Release()
			o := outs[0]
			if o.C != 3 || o.H != 4 || o.W != 6 || o.ScaleX != 1 || o.ScaleY != 1 {
				t.Fatalf("output %dx%dx%d scale %v,%v; want 3x4x6 scale 1,1", o.C, o.H, o.W, o.ScaleX, o.ScaleY)
			}
			for c := 0; c < 3; c++ {
				for p := 0; p < 24; p++ {
					if got := float64(o.Data[c*24+p]); math.Abs(got-tc.want[c]) > 1e-5 {
						t.Fatalf("channel %d pixel %d = %v, want %v", c, p, got, tc.want[c])
					}
				}
			}
		})
	}
}

func TestClassesKeepsFirstChannels(t *testing.T) {
	w := [][3]float32{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}, {-1, 0, 0}}
	bias := []float32{0, 0, 0, 7, 9}
	model := convModel(w, bias, dynIn(), dynOut(5), 1)
	for _, tc := range []struct{ classes, wantC int }{{0, 5}, {3, 3}, {5, 5}} {
		e := newEngine(t, Config{Model: model, Classes: tc.classes, Preset: "bgr01"})
		if e.Classes() != tc.wantC {
			t.Errorf("classes %d: Classes() = %d, want %d", tc.classes, e.Classes(), tc.wantC)
		}
		outs, err := e.Infer([]*frame.Frame{solid("t", 0, 4, 2, 51, 102, 204)})
		if err != nil {
			t.Fatal(err)
		}
		o := outs[0]
		if o.C != tc.wantC || len(o.Data) != tc.wantC*8 {
			t.Fatalf("classes %d: C=%d len=%d, want C=%d len=%d", tc.classes, o.C, len(o.Data), tc.wantC, tc.wantC*8)
		}
		want := []float32{0.2, 0.4, 0.8, 8.4, 8.8}
		for c := 0; c < o.C; c++ {
			if got := o.Data[c*8]; math.Abs(float64(got-want[c])) > 1e-5 {
				t.Errorf("classes %d: channel %d = %v, want %v", tc.classes, c, got, want[c])
			}
		}
		o.Release()
		o.Release() // harmless
	}
}

func TestFixedSizeModelResizesAndMapsBack(t *testing.T) {
	model := convModel(identity, []float32{0, 0, 0}, dims(dv(1), dv(3), dv(4), dv(8)), dims(dv(1), dv(3), dv(4), dv(8)), 1)
	reg := prometheus.NewRegistry()
	e := newEngine(t, Config{Model: model, Batch: 4, Registry: reg})
	if w, h := e.InputSize(); w != 8 || h != 4 {
		t.Fatalf("InputSize = %dx%d, want 8x4", w, h)
	}
	frames := []*frame.Frame{solid("a", 0, 16, 8, 0, 0, 255), solid("a", 1, 24, 6, 0, 255, 0), solid("b", 0, 8, 4, 255, 0, 0)}
	outs, err := e.Infer(frames)
	if err != nil {
		t.Fatal(err)
	}
	wantScale := [][2]float64{{2, 2}, {3, 1.5}, {1, 1}}
	for i, o := range outs {
		if o.Frame != frames[i] || o.W != 8 || o.H != 4 || o.ScaleX != wantScale[i][0] || o.ScaleY != wantScale[i][1] {
			t.Errorf("output %d: frame %p/%p %dx%d scale %v,%v; want 8x4 scale %v", i, o.Frame, frames[i], o.W, o.H, o.ScaleX, o.ScaleY, wantScale[i])
		}
		// A solid frame stays solid through the bilinear resize: channel i (RGB) is 1, others 0.
		for c := 0; c < 3; c++ {
			want := float32(0)
			if c == i {
				want = 1
			}
			if got := o.Data[c*32+13]; math.Abs(float64(got-want)) > 1e-6 {
				t.Errorf("output %d channel %d = %v, want %v", i, c, got, want)
			}
		}
		o.Release()
	}
	// The export's batch is fixed at 1 and Batch is 4: the engine made the batch dynamic, so the
	// three frames (one input size after resizing) went in one run.
	if runs := metricValue(t, reg, "metaood_infer_batch_frames"); runs != 1 {
		t.Errorf("runs = %v, want 1", runs)
	}
}

func TestDynamicBatchesAndOrder(t *testing.T) {
	model := convModel(identity, []float32{0, 0, 0}, dynIn(), dynOut(3), 1)
	reg := prometheus.NewRegistry()
	e := newEngine(t, Config{Model: model, Batch: 3, Registry: reg, Preset: "bgr01"})
	var frames []*frame.Frame
	for i := range 7 {
		frames = append(frames, solid("s", uint64(i), 5, 3, byte(10*i), 0, 0))
	}
	// A frame of another size in the middle splits the run.
	frames = append(frames[:4], append([]*frame.Frame{solid("t", 0, 7, 2, 200, 0, 0)}, frames[4:]...)...)
	outs, err := e.Infer(frames)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != len(frames) {
		t.Fatalf("%d outputs for %d frames", len(outs), len(frames))
	}
	for i, o := range outs {
		want := float32(frames[i].Pix[0]) / 255
		if o.Frame != frames[i] || o.W != frames[i].W || o.H != frames[i].H || math.Abs(float64(o.Data[0]-want)) > 1e-6 {
			t.Errorf("output %d: %s/%d %dx%d value %v; want %s/%d value %v", i, o.Frame.Source, o.Frame.Seq, o.W, o.H, o.Data[0],
				frames[i].Source, frames[i].Seq, want)
		}
		o.Release()
	}
	// Groups: [0 1 2] [3] [t] [4 5 6].
	if runs := metricValue(t, reg, "metaood_infer_batch_frames"); runs != 4 {
		t.Errorf("runs = %v, want 4", runs)
	}
	if n := metricValue(t, reg, "metaood_infer_frames_total"); n != 8 {
		t.Errorf("frames_total = %v, want 8", n)
	}
}

func TestDownsamplingModelAndInputSize(t *testing.T) {
	model := convModel(identity, []float32{0, 0, 0}, dynIn(), dynOut(3), 2)
	e := newEngine(t, Config{Model: model, InputW: 8, InputH: 4, Batch: 2})
	for round := range 2 { // the second round uses the learnt output shape
		outs, err := e.Infer([]*frame.Frame{solid("a", 0, 32, 16, 0, 0, 255), solid("a", 1, 32, 16, 0, 0, 51)})
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range outs {
			if o.W != 4 || o.H != 2 || o.ScaleX != 8 || o.ScaleY != 8 || len(o.Data) != 3*8 {
				t.Fatalf("round %d output %d: %dx%d scale %v,%v len %d; want 4x2 scale 8 len 24", round, i, o.W, o.H, o.ScaleX, o.ScaleY, len(o.Data))
			}
			want := []float32{1, 0.2}[i]
			if math.Abs(float64(o.Data[5]-want)) > 1e-6 {
				t.Errorf("round %d output %d red = %v, want %v", round, i, o.Data[5], want)
			}
			o.Release()
		}
	}
}

func TestNonFiniteOutput(t *testing.T) {
	// Sqrt(0.5 - red): NaN for bright frames, finite for dark ones.
	inits := []pbuf{floatTensor("W", []int64{1, 3, 1, 1}, []float32{-1, 0, 0}), floatTensor("B", []int64{1}, []float32{0.5})}
	nodes := []pbuf{node("Conv", []string{"image", "W", "B"}, []string{"c"}), node("Sqrt", []string{"c"}, []string{"logits"})}
	model := model(nodes, inits, []pbuf{valueInfo("image", tFloat, dynIn())}, []pbuf{valueInfo("logits", tFloat, dynOut(1))})
	reg := prometheus.NewRegistry()
	e := newEngine(t, Config{Model: model, Batch: 4, Registry: reg})
	_, err := e.Infer([]*frame.Frame{solid("s", 0, 4, 4, 0, 0, 0), solid("s", 1, 4, 4, 0, 0, 255)})
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "s/1") {
		t.Fatalf("Infer with a NaN frame: err = %v, want ErrNonFinite naming s/1", err)
	}
	if n := metricValue(t, reg, "metaood_infer_errors_total"); n != 1 {
		t.Errorf("errors_total = %v, want 1", n)
	}
	outs, errs, err := e.InferFrames([]*frame.Frame{solid("s", 0, 4, 4, 0, 0, 0), solid("s", 1, 4, 4, 0, 0, 255)})
	if err != nil || outs[0] == nil || errs[0] != nil || outs[1] != nil || !errors.Is(errs[1], ErrNonFinite) {
		t.Fatalf("InferFrames: outs %v errs %v err %v; want frame 0 ok, frame 1 ErrNonFinite", outs, errs, err)
	}
	if v := outs[0].Data[0]; math.Abs(float64(v)-math.Sqrt(0.5)) > 1e-6 {
		t.Errorf("dark frame value %v, want sqrt(0.5)", v)
	}
	outs[0].Release()
	// A frame NaN in a single pixel: the full scan finds it.
	e2 := newEngine(t, Config{Model: model, FullFiniteCheck: true})
	f := solid("s", 2, 4, 4, 0, 0, 0)
	f.Pix[3*9+2] = 255
	if _, err := e2.Infer([]*frame.Frame{f}); !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "pixel (1,2)") {
		t.Fatalf("full check: err = %v, want ErrNonFinite at pixel (1,2)", err)
	}
}

func TestBadModelsAndConfig(t *testing.T) {
	good := convModel(identity, []float32{0, 0, 0}, dynIn(), dynOut(3), 1)
	twoInputs := model([]pbuf{node("Add", []string{"image", "other"}, []string{"logits"})}, nil,
		[]pbuf{valueInfo("image", tFloat, dynIn()), valueInfo("other", tFloat, dynIn())}, []pbuf{valueInfo("logits", tFloat, dynOut(3))})
	flat := model([]pbuf{node("Flatten", []string{"image"}, []string{"logits"})}, nil,
		[]pbuf{valueInfo("image", tFloat, dynIn())}, []pbuf{valueInfo("logits", tFloat, dims(dp("N"), dp("F")))})
	one := int64(1)
	u8 := model([]pbuf{node("Cast", []string{"image"}, []string{"logits"}, attr{name: "to", i: &one})}, nil,
		[]pbuf{valueInfo("image", tUint8, dynIn())}, []pbuf{valueInfo("logits", tFloat, dynOut(3))})
	gray := convModel([][3]float32{{1, 0, 0}}, []float32{0}, dims(dp("N"), dv(3), dp("H"), dp("W")), dynOut(1), 1)
	grayIn := model([]pbuf{node("Identity", []string{"image"}, []string{"logits"})}, nil,
		[]pbuf{valueInfo("image", tFloat, dims(dp("N"), dv(1), dp("H"), dp("W")))}, []pbuf{valueInfo("logits", tFloat, dims(dp("N"), dv(1), dp("H"), dp("W")))})
	fixed := convModel(identity, []float32{0, 0, 0}, dims(dv(1), dv(3), dv(4), dv(8)), dims(dv(1), dv(3), dv(4), dv(8)), 1)
	cases := []struct {
		name string
		cfg  Config
		want error
		msg  string
	}{
		{"empty", Config{ModelName: "m.onnx"}, ErrConfig, "m.onnx"},
		{"garbage", Config{Model: []byte("not an onnx file at all"), ModelName: "junk.onnx"}, ErrModel, "junk.onnx"},
		{"two inputs", Config{Model: twoInputs}, ErrModelIO, "2 inputs"},
		{"2-D output", Config{Model: flat}, ErrModelIO, "[N,C,H,W]"},
		{"uint8 input", Config{Model: u8}, ErrModelIO, "float32"},
		{"1-channel input", Config{Model: grayIn}, ErrModelIO, "1 channels"},
		{"too few classes", Config{Model: gray, Classes: 19}, ErrModelIO, "19 classes are asked for"},
		{"fixed size vs input size", Config{Model: fixed, InputW: 16, InputH: 8}, ErrConfig, "fixed input size 8x4"},
		{"preset", Config{Model: good, Preset: "yuv"}, ErrConfig, "bgr-imagenet"},
		{"provider", Config{Model: good, Provider: "opencl"}, ErrConfig, "cpu, cuda or tensorrt"},
		{"half size", Config{Model: good, InputW: 5}, ErrConfig, "both"},
		{"negative classes", Config{Model: good, Classes: -1}, ErrConfig, "negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(tc.cfg, nil)
			if err == nil {
				e.Close()
				t.Fatal("New succeeded")
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v; want %v mentioning %q on one line", err, tc.want, tc.msg)
			}
		})
	}
}

func TestBadFrame(t *testing.T) {
	e := newEngine(t, Config{Model: convModel(identity, []float32{0, 0, 0}, dynIn(), dynOut(3), 1)})
	bad := &frame.Frame{Source: "x", W: 4, H: 4, Pix: make([]byte, 10)}
	if _, err := e.Infer([]*frame.Frame{solid("ok", 0, 4, 4, 1, 2, 3), bad}); !errors.Is(err, ErrFrame) {
		t.Fatalf("err = %v, want ErrFrame", err)
	}
	e.Close()
	if _, err := e.Infer([]*frame.Frame{solid("ok", 0, 4, 4, 1, 2, 3)}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: err = %v, want ErrClosed", err)
	}
}

// The CPU-only library has no GPU providers: asking for one is an error, unless the fallback is
// allowed, and then Provider() and the metric say cpu.
func TestProviderFallback(t *testing.T) {
	model := convModel(identity, []float32{0, 0, 0}, dynIn(), dynOut(3), 1)
	for _, p := range []string{ProviderCUDA, ProviderTensorRT} {
		t.Run(p, func(t *testing.T) {
			_, err := New(Config{Model: model, Provider: p, TRTCache: t.TempDir()}, nil)
			if !errors.Is(err, ErrProvider) || !strings.Contains(err.Error(), "use the cpu provider") {
				t.Fatalf("err = %v, want ErrProvider with the fix", err)
			}
			reg := prometheus.NewRegistry()
			e := newEngine(t, Config{Model: model, Provider: p, AllowFallback: true, Registry: reg})
			if e.Provider() != ProviderCPU {
				t.Errorf("Provider() = %q, want cpu", e.Provider())
			}
			if v := metricValue(t, reg, "metaood_infer_provider", "provider", "cpu"); v != 1 {
				t.Errorf("provider{cpu} = %v, want 1", v)
			}
			if v := metricValue(t, reg, "metaood_infer_provider", "provider", p); v != 0 {
				t.Errorf("provider{%s} = %v, want 0", p, v)
			}
		})
	}
}

// A fixed batch of 2: three frames run as a full batch and a zero-padded one.
func TestFixedBatchPadding(t *testing.T) {
	m := convModel(identity, []float32{0, 0, 0}, dims(dv(2), dv(3), dv(4), dv(8)), dims(dv(2), dv(3), dv(4), dv(8)), 1)
	reg := prometheus.NewRegistry()
	e := newEngine(t, Config{Model: m, Batch: 8, Registry: reg, Preset: "bgr01"})
	frames := []*frame.Frame{solid("a", 0, 8, 4, 10, 0, 0), solid("a", 1, 8, 4, 20, 0, 0), solid("a", 2, 8, 4, 30, 0, 0)}
	outs, err := e.Infer(frames)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		if want := float32(10*(i+1)) / 255; math.Abs(float64(o.Data[0]-want)) > 1e-6 || o.Frame != frames[i] {
			t.Errorf("output %d value %v, want %v", i, o.Data[0], want)
		}
		o.Release()
	}
	if runs := metricValue(t, reg, "metaood_infer_batch_frames"); runs != 2 {
		t.Errorf("runs = %v, want 2", runs)
	}
}

// A model whose channel count is only known at run time and turns out too small: a contract
// error, fatal for Run.
func TestDynamicChannelsCheckedAtRun(t *testing.T) {
	// Transpose [N,3,H,W] → [N,W,H,3]: as many "classes" as the frame is wide.
	m := model([]pbuf{node("Transpose", []string{"image"}, []string{"logits"}, attr{name: "perm", ints: []int64{0, 3, 2, 1}})}, nil,
		[]pbuf{valueInfo("image", tFloat, dynIn())}, []pbuf{valueInfo("logits", tFloat, dims(dp("N"), dp("C"), dp("H"), dp("W")))})
	e := newEngine(t, Config{Model: m, Classes: 5})
	if e.Classes() != 0 {
		t.Errorf("Classes() before a run = %d, want 0 (unknown)", e.Classes())
	}
	if _, err := e.Infer([]*frame.Frame{solid("a", 0, 4, 4, 1, 2, 3)}); !errors.Is(err, ErrModelIO) || !strings.Contains(err.Error(), "5 classes are asked for") {
		t.Fatalf("Infer = %v, want ErrModelIO about the classes asked for", err)
	}
	if _, err := e.Segment([]*frame.Frame{solid("a", 1, 4, 4, 1, 2, 3)}); !errors.Is(err, ErrModelIO) {
		t.Fatalf("Segment = %v, want ErrModelIO (the model breaks its contract: fatal)", err)
	}
	e3 := newEngine(t, Config{Model: m, Classes: 2})
	outs, err := e3.Infer([]*frame.Frame{solid("a", 0, 4, 4, 1, 2, 3)})
	if err != nil || outs[0].C != 2 || outs[0].W != 3 || e3.Classes() != 2 {
		t.Fatalf("classes 2 of 4: %v, C=%d W=%d, Classes()=%d", err, outs[0].C, outs[0].W, e3.Classes())
	}
	outs[0].Release()
}
