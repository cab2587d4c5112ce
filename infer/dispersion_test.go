package infer

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/internal/sharedtest"
	"github.com/metaood/metaood/postproc"
)

// gradient is a frame whose colours change over the image, so a 1x1 conv gives every kind of
// pixel: confident ones and uncertain ones.
func gradient(src string, seq uint64, w, h int) *frame.Frame {
	pix := make([]byte, 3*w*h)
	for y := range h {
		for x := range w {
			i := 3 * (y*w + x)
			pix[i], pix[i+1], pix[i+2] = byte(x*255/w), byte(y*255/h), byte((x+y+int(seq)*40)%256)
		}
	}
	return &frame.Frame{Source: src, Seq: seq, W: w, H: h, Pix: pix}
}

// headTolerance is how far the head's entropy and probabilities (ONNX Runtime's float32 softmax
// and log-softmax) may lie from postproc's (its own fast exp and log, from the same logits).
const headTolerance = 2e-5

// compareHead checks one frame: the head's maps against postproc's computation on the logits of
// the same frame, then the components and metrics of both inputs. It returns the number of
// components and the largest metric difference (relative, with a floor of 1e-4).
func compareHead(t *testing.T, dense, head *Output, threshold float32) (int, float64) {
	t.Helper()
	c, h, w := dense.C, dense.H, dense.W
	hw := h * w
	d := head.Disp
	if d == nil || head.Data != nil || head.C != c || head.H != h || head.W != w {
		t.Fatalf("head output %dx%dx%d (disp %v), dense %dx%dx%d", head.C, head.H, head.W, d != nil, c, h, w)
	}
	p := postproc.New(postproc.Options{Threshold: threshold})
	want, err := p.Process(postproc.Input{C: c, H: h, W: w, Data: dense.Data, Logits: true})
	if err != nil {
		t.Fatal(err)
	}
	defer want.Release()
	// Go's softmax of the logits, in float64.
	probs := make([]float64, c)
	kept := 0
	var worstEnt, worstP float64
	argmaxDiff := 0
	for i := range hw {
		mx := math.Inf(-1)
		for k := range c {
			mx = max(mx, float64(dense.Data[k*hw+i]))
		}
		var s float64
		for k := range c {
			probs[k] = math.Exp(float64(dense.Data[k*hw+i]) - mx)
			s += probs[k]
		}
		p1, p2 := -1.0, -1.0
		for k := range c {
			probs[k] /= s
			if probs[k] > p1 {
				p1, p2 = probs[k], p1
			} else if probs[k] > p2 {
				p2 = probs[k]
			}
		}
		worstEnt = max(worstEnt, math.Abs(float64(d.Entropy[i]-want.Entropy[i])))
		worstP = max(worstP, math.Abs(float64(d.Top2[i])-p1), math.Abs(float64(d.Top2[hw+i])-p2))
		if d.Argmax[i] != want.Argmax[i] {
			argmaxDiff++
		}
		if d.Entropy[i] >= d.Threshold {
			for k := range c {
				worstP = max(worstP, math.Abs(float64(d.MaskProbs[k*d.RowStride()+kept])-probs[k]))
			}
			kept++
		}
	}
	if kept != d.M {
		t.Errorf("M = %d, but %d pixels have entropy ≥ %v", d.M, kept, d.Threshold)
	}
	if worstEnt > headTolerance || worstP > headTolerance || argmaxDiff > 0 {
		t.Errorf("head vs Go: entropy off by up to %.2g, probabilities by %.2g (tolerance %g), argmax differs at %d pixels",
			worstEnt, worstP, headTolerance, argmaxDiff)
	}
	got, err := p.Process(postproc.Input{C: c, H: h, W: w, Disp: d})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if len(got.Components) != len(want.Components) {
		t.Fatalf("%d components from the head, %d from the logits", len(got.Components), len(want.Components))
	}
	for k := range want.Components {
		if got.Components[k] != want.Components[k] {
			t.Fatalf("component %d: %+v from the head, %+v from the logits", k+1, got.Components[k], want.Components[k])
		}
	}
	names := postproc.MetricNames(c)
	worst := 0.0
	for i, v := range want.Metrics {
		diff := math.Abs(got.Metrics[i] - v)
		worst = max(worst, diff/(1e-4+math.Abs(v)))
		if diff > 1e-4*math.Abs(v)+1e-5 {
			t.Errorf("component %d %s = %v from the head, %v from the logits", i/len(names)+1, names[i%len(names)], got.Metrics[i], v)
		}
	}
	t.Logf("%dx%d: entropy within %.2g, probabilities within %.2g, %d kept pixels, %d components, metrics within %.2g (relative)",
		w, h, worstEnt, worstP, kept, len(want.Components), worst)
	return len(want.Components), worst
}

// TestDispersionHead: the head on a small model, dynamic (a batch of three frames sharing one
// probability tensor) and fixed at a batch of 2 (a padded run), against postproc on the logits.
func TestDispersionHead(t *testing.T) {
	w := [][3]float32{{12, -6, 3}, {-6, 12, 2}, {3, 3, -12}, {6, 6, 6}, {0, -12, 12}}
	b := []float32{0, 1, -0.5, -7, 0.5}
	frames := []*frame.Frame{gradient("a", 0, 64, 32), gradient("a", 1, 64, 32), gradient("b", 0, 64, 32)}
	for _, tc := range []struct {
		name    string
		in, out []dim
		slots   int     // a batch of 2 takes two runs for three frames, both held until released
		thr     float32 // 1: no pixel is kept (M = 0)
	}{
		{"dynamic", dynIn(), dynOut(5), 1, 0.5},
		{"fixed batch 2", dims(dv(2), dv(3), dv(32), dv(64)), dims(dv(2), dv(5), dv(32), dv(64)), 2, 0.5},
		{"nothing kept", dynIn(), dynOut(5), 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			model := convModel(w, b, tc.in, tc.out, 1)
			dense := newEngine(t, Config{Model: model, Batch: 3})
			head := newEngine(t, Config{Model: model, Batch: 3, DispersionHead: true, HeadThreshold: tc.thr})
			for round := range 3 { // the first run of a dynamic model learns the shape; later ones reuse the slots
				do, err := dense.Infer(frames)
				if err != nil {
					t.Fatal(err)
				}
				ho, err := head.Infer(frames)
				if err != nil {
					t.Fatal(err)
				}
				total := 0
				for i := range frames {
					if round == 0 {
						n, _ := compareHead(t, do[i], ho[i], tc.thr)
						total += n
					}
					do[i].Release()
					ho[i].Release()
				}
				if round == 0 && total == 0 && tc.thr < 1 {
					t.Fatal("no components at all: the test frames should have uncertain regions")
				}
			}
			if n := head.slots.outputSlots(); n != tc.slots {
				t.Errorf("%d output slots made for 3 rounds, want %d", n, tc.slots)
			}
		})
	}
}

// TestDispersionHeadErrors: what cannot get a head is refused, naming why.
func TestDispersionHeadErrors(t *testing.T) {
	model := convModel(identity, []float32{0, 0, 0}, dynIn(), dynOut(3), 1)
	for _, tc := range []struct {
		name string
		cfg  Config
		msg  string
	}{
		{"probs", Config{Model: model, DispersionHead: true, Probs: true}, "needs a model whose output is logits"},
		{"threshold", Config{Model: model, DispersionHead: true, HeadThreshold: 1.5}, "outside (0, 1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(tc.cfg, nil)
			if err == nil {
				e.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
}

// TestDispersionHeadRealModel: the shipped real model on real anomaly frames at 1024x512, with the
// head and without: the same maps within headTolerance and the same components and metrics.
// About 15 s on one core.
func TestDispersionHeadRealModel(t *testing.T) {
	if testing.Short() {
		t.Skip("real model: about 15 s")
	}
	data, err := LoadModel(filepath.Join("..", "models", "espnetv2-ood.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(sharedtest.Path(t, "data"), "anomaly-dev", "road_anomaly", "images")
	var frames []*frame.Frame
	for i, name := range []string{"animals09_working_together.png"} {
		m := gocv.IMRead(filepath.Join(dir, name), gocv.IMReadColor)
		if m.Empty() {
			m.Close()
			t.Fatalf("cannot read %s", name)
		}
		pix, _ := m.DataPtrUint8()
		frames = append(frames, &frame.Frame{Source: "ra", Seq: uint64(i), W: m.Cols(), H: m.Rows(), Pix: append([]byte(nil), pix...)})
		m.Close()
	}
	dense := newEngine(t, Config{Model: data, ModelName: "espnetv2-ood", Classes: 19})
	head := newEngine(t, Config{Model: data, ModelName: "espnetv2-ood", Classes: 19, DispersionHead: true})
	components := 0
	for _, f := range frames {
		do, err := dense.Infer([]*frame.Frame{f})
		if err != nil {
			t.Fatal(err)
		}
		ho, err := head.Infer([]*frame.Frame{f})
		if err != nil {
			t.Fatal(err)
		}
		n, _ := compareHead(t, do[0], ho[0], 0.7)
		components += n
		do[0].Release()
		ho[0].Release()
	}
	if components == 0 {
		t.Error("no components on anomaly frames")
	}
}

// TestRealModelDynamicBatch: the shipped model, exported for one frame per run, made to take two
// (its Reshape shapes rewritten): both frames come out as they do one at a time.
func TestRealModelDynamicBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("real model: about 3 s")
	}
	data, err := LoadModel(filepath.Join("..", "models", "espnetv2-ood.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	frames := []*frame.Frame{gradient("a", 0, 1024, 512), solid("b", 0, 1024, 512, 40, 90, 120)}
	one := newEngine(t, Config{Model: data, Classes: 19})
	two := newEngine(t, Config{Model: data, Classes: 19, Batch: 2})
	if two.maxBatch() != 2 {
		t.Fatalf("max batch %d after the rewrite, want 2", two.maxBatch())
	}
	both, err := two.Infer(frames)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		single, err := one.Infer([]*frame.Frame{f})
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for j, v := range single[0].Data {
			worst = max(worst, math.Abs(float64(v-both[i].Data[j])))
		}
		if worst > 1e-3 {
			t.Errorf("frame %d: logits of the batch of 2 differ from one at a time by up to %v", i, worst)
		}
		t.Logf("frame %d: batch of 2 vs one at a time: logits within %.2g", i, worst)
		single[0].Release()
		both[i].Release()
	}
}
