package finetune

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/metaood/metaood/onnx"
)

// testTail builds a small model with every supported layer: BN(6) → PRelu → shuffle(2×3) →
// grouped 3×3 Conv(6→3, 3 groups) → PRelu → 1×1 Conv(3→4) → Resize(align_corners) to 9×13.
func testModel(t *testing.T, seed uint64) *onnx.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	r := func(n int, lo, hi float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = lo + (hi-lo)*rng.Float32()
		}
		return v
	}
	g := onnx.NewGraph("tail")
	x := g.Input("x", onnx.Fixed(1), onnx.Fixed(6), onnx.Sym("H"), onnx.Sym("W"))
	bn := g.Apply("BatchNormalization", []string{x, g.Float("bn_w", []int64{6}, r(6, 0.5, 1.5)),
		g.Float("bn_b", []int64{6}, r(6, -0.5, 0.5)), g.Float("bn_m", []int64{6}, r(6, -0.2, 0.2)),
		g.Float("bn_v", []int64{6}, r(6, 0.5, 2))}, onnx.AttrFloat("epsilon", 1e-5))
	p1 := g.Apply("PRelu", []string{bn, g.Float("p1", []int64{6, 1, 1}, r(6, 0.05, 0.3))})
	rs := g.Apply("Reshape", []string{p1, g.Int64("shape5", []int64{5}, []int64{1, 2, 3, 5, 7})})
	tr := g.Apply("Transpose", []string{rs}, onnx.AttrInts("perm", 0, 2, 1, 3, 4))
	sh := g.Apply("Reshape", []string{tr, g.Int64("shape4", []int64{4}, []int64{1, -1, 5, 7})})
	c1 := g.Apply("Conv", []string{sh, g.Float("c1_w", []int64{3, 2, 3, 3}, r(54, -0.5, 0.5)), g.Float("c1_b", []int64{3}, r(3, -0.1, 0.1))},
		onnx.AttrInt("group", 3), onnx.AttrInts("kernel_shape", 3, 3), onnx.AttrInts("pads", 1, 1, 1, 1))
	p2 := g.Apply("PRelu", []string{c1, g.Float("p2", []int64{3, 1, 1}, r(3, 0.05, 0.3))})
	c2 := g.Apply("Conv", []string{p2, g.Float("c2_w", []int64{4, 3, 1, 1}, r(12, -1, 1)), g.Float("c2_b", []int64{4}, r(4, -0.1, 0.1))})
	g.Node("Resize", []string{c2, "", "", g.Int64("sizes", []int64{4}, []int64{1, 4, 9, 13})}, []string{"logits"},
		onnx.AttrString("mode", "linear"), onnx.AttrString("coordinate_transformation_mode", "align_corners"))
	g.Output("logits", onnx.Fixed(1), onnx.Fixed(4), onnx.Fixed(9), onnx.Fixed(13))
	m, err := g.Model()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseTail(t *testing.T) {
	m := testModel(t, 1)
	tail, err := ParseTail(m, "")
	if err != nil {
		t.Fatal(err)
	}
	if tail.Cut != "x" || tail.In != 6 || tail.Out != 4 || tail.OutH != 9 || tail.OutW != 13 {
		t.Fatalf("cut %q in %d out %d size %dx%d", tail.Cut, tail.In, tail.Out, tail.OutW, tail.OutH)
	}
	want := "*BatchNormalization(6→6) → *PRelu(6→6) → ChannelShuffle(6→6) → *Conv(6→3) → *PRelu(3→3) → *Conv(3→4)"
	if tail.Layers() != want {
		t.Fatalf("layers\n got %s\nwant %s", tail.Layers(), want)
	}
	tail.SetTrainable(1)
	if tr, tot := tail.Trainable(); tr != 1 || tot != 5 || tail.Params() != 16 {
		t.Fatalf("trainable %d of %d, %d params", tr, tot, tail.Params())
	}
	// A shuffle maps output channel j·a+i to input channel i·b+j (a=2, b=3).
	if got := tail.layers[2].perm; !slices.Equal(got, []int{0, 3, 1, 4, 2, 5}) {
		t.Fatalf("shuffle perm %v", got)
	}
	// Cutting at an inner value gives a shorter tail.
	inner := tail.layers[3] // the grouped conv: its input is the shuffle's output
	_ = inner
	short, err := ParseTail(m, m.Producer("logits").GetInput()[0])
	if err == nil || !errors.Is(err, ErrCut) {
		t.Fatalf("cut at the resize input: want ErrCut (no layer left), got %v, %v", short, err)
	}
}

func TestParseTailErrors(t *testing.T) {
	m := testModel(t, 1)
	if _, err := ParseTail(m, "nonexistent"); !errors.Is(err, ErrCut) || !strings.Contains(err.Error(), "nonexistent") {
		t.Fatalf("unknown cut: %v", err)
	}
	g := onnx.NewGraph("softmax")
	x := g.Input("x", onnx.Fixed(1), onnx.Fixed(3), onnx.Fixed(2), onnx.Fixed(2))
	g.Node("Softmax", []string{x}, []string{"logits"})
	g.Output("logits")
	sm, err := g.Model()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseTail(sm, ""); !errors.Is(err, ErrCut) {
		t.Fatalf("softmax output: want ErrCut, got %v", err)
	}
}

// TestGradients compares backward with central finite differences of the loss, for every
// trained weight kind, with known, proxy and ignored pixels.
func TestGradients(t *testing.T) {
	m := testModel(t, 2)
	tail, err := ParseTail(m, "")
	if err != nil {
		t.Fatal(err)
	}
	const h, w, k = 5, 7, 3 // the fourth channel stays out of the loss, like a void channel
	rng := rand.New(rand.NewPCG(3, 4))
	feat := make([]float32, 6*h*w)
	for i := range feat {
		feat[i] = float32(rng.NormFloat64())
	}
	labels := make([]uint8, h*w)
	for i := range labels {
		labels[i] = []uint8{0, 1, 2, LabelProxy, LabelIgnore, 7}[rng.IntN(6)]
	}
	norm := float64(labelled(labels, k))
	eval := func() float64 {
		var a activations
		s := tail.forward(feat, h, w, &a)
		d := make([]float32, len(s))
		l, _ := loss(s, labels, k, 0.9, 1, d)
		return l / norm
	}
	var a activations
	s := tail.forward(feat, h, w, &a)
	d := make([]float32, len(s))
	loss(s, labels, k, 0.9, norm, d)
	g := tail.newGrads()
	var scratch [2][]float32
	tail.backward(&a, d, g, &scratch)
	checked := 0
	for li, l := range tail.layers {
		for _, p := range []struct {
			v, g []float32
		}{{l.w, g.w[li]}, {l.b, g.b[li]}} {
			for j := range p.v {
				old := p.v[j]
				const eps = 1e-2
				p.v[j] = old + eps
				up := eval()
				p.v[j] = old - eps
				down := eval()
				p.v[j] = old
				num := (up - down) / (2 * eps)
				if diff := math.Abs(num - float64(p.g[j])); diff > 2e-3+0.02*math.Abs(num) {
					t.Errorf("layer %d (%s) weight %d: backward %.6g, finite difference %.6g", li, opNames[l.kind], j, p.g[j], num)
				}
				checked++
			}
		}
	}
	if checked != tail.Params() {
		t.Fatalf("checked %d weights of %d", checked, tail.Params())
	}
}

// TestTrainingLowersLoss trains the test tail on one cached image: the loss must fall and the
// proxy pixels' entropy must rise.
func TestTrainingLowersLoss(t *testing.T) {
	m := testModel(t, 5)
	tail, err := ParseTail(m, "")
	if err != nil {
		t.Fatal(err)
	}
	const h, w = 5, 7
	rng := rand.New(rand.NewPCG(6, 7))
	feat := make([]float32, 6*h*w)
	for i := range feat {
		feat[i] = float32(rng.NormFloat64())
	}
	labels := make([]uint8, h*w)
	for i := range labels {
		labels[i] = LabelIgnore
		if i%5 == 0 {
			labels[i] = LabelProxy
		}
	}
	tail.PseudoLabels(feat, h, w, 3, labels)
	cache := &Cache{Dir: t.TempDir()}
	if err := cache.Put("a", feat, 6, h, w, labels); err != nil {
		t.Fatal(err)
	}
	proxyEntropy := func() float64 {
		var a activations
		sc := tail.forward(feat, h, w, &a)
		var sum float64
		var n int
		for j, y := range labels {
			if y != LabelProxy {
				continue
			}
			var z, e float64
			for c := range 3 {
				z += math.Exp(float64(sc[c*h*w+j]))
			}
			for c := range 3 {
				p := math.Exp(float64(sc[c*h*w+j])) / z
				e -= p * math.Log(p)
			}
			sum += e / math.Log(3)
			n++
		}
		return sum / float64(n)
	}
	before := proxyEntropy()
	var epochs []float64
	hist, err := Train(t.Context(), tail, cache, []string{"a"}, TrainConfig{Classes: 3, Epochs: 60, Batch: 1, LR: 1e-2,
		EpochDone: func(ep int, l float64) error { epochs = append(epochs, l); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 60 || len(epochs) != 60 || !(hist[59].Loss < 0.9*hist[0].Loss) {
		t.Fatalf("loss did not fall enough: first %.4f last %.4f (%d epochs)", hist[0].Loss, hist[len(hist)-1].Loss, len(hist))
	}
	if after := proxyEntropy(); !(after > before+0.1) {
		t.Fatalf("proxy pixels' normalized entropy %.3f → %.3f: training did not raise it", before, after)
	}
}

func TestSaveRoundTrip(t *testing.T) {
	m := testModel(t, 8)
	tail, err := ParseTail(m, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range tail.layers {
		for j := range l.w {
			l.w[j] += 0.25
		}
	}
	if err := tail.Save(m); err != nil {
		t.Fatal(err)
	}
	again, err := ParseTail(m, "")
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range again.layers {
		if !slices.Equal(l.w, tail.layers[i].w) || !slices.Equal(l.b, tail.layers[i].b) {
			t.Fatalf("layer %d weights not saved", i)
		}
	}
}

func TestCacheRoundTrip(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	feat := []float32{0, 1, -2.5, 3.14159, 1e-3, -7e4}
	labels := []uint8{1, LabelProxy, 3}
	if err := c.Put("k", feat, 2, 1, 3, labels); err != nil {
		t.Fatal(err)
	}
	got, gl, ch, h, w, err := c.Load("k", nil)
	if err != nil || ch != 2 || h != 1 || w != 3 || !slices.Equal(gl, labels) {
		t.Fatalf("load: %v %d %d %d %v", err, ch, h, w, gl)
	}
	for i, v := range feat {
		if math.Abs(float64(got[i]-v)) > math.Abs(float64(v))/128 {
			t.Errorf("feature %d: %g → %g (beyond bfloat16 rounding)", i, v, got[i])
		}
	}
	if err := c.Put("bad", feat, 3, 1, 3, labels); !errors.Is(err, ErrShape) {
		t.Fatalf("wrong size: %v", err)
	}
	if _, _, _, _, _, err := c.Load("missing", nil); !errors.Is(err, ErrData) {
		t.Fatalf("missing key: %v", err)
	}
}

func TestUpsampleAlignCorners(t *testing.T) {
	// 2×2 → 3×3 with align_corners: corners kept, centre is the mean.
	got := Upsample([]float32{0, 2, 4, 6}, 1, 2, 2, 3, 3)
	want := []float32{0, 1, 2, 2, 3, 4, 4, 5, 6}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
}

func TestDownsampleLabels(t *testing.T) {
	// 5×3 → 3×2: columns 0, 2, 4 and rows 0, 2.
	in := []uint8{
		1, 2, 3, 4, 5,
		6, 7, 8, 9, 10,
		11, 12, 13, 14, 15,
	}
	if got := DownsampleLabels(in, 5, 3, 3, 2); !slices.Equal(got, []uint8{1, 3, 5, 11, 13, 15}) {
		t.Fatalf("got %v", got)
	}
}

// TestHeadGradients compares the head's backprop with finite differences, weights included.
func TestHeadGradients(t *testing.T) {
	for _, scale := range []bool{false, true} {
		t.Run(fmt.Sprintf("scale=%v", scale), func(t *testing.T) { headGradients(t, scale) })
	}
}

func headGradients(t *testing.T, scale bool) {
	h := NewHead([]string{"f"}, 5, 4, 3, scale, 9)
	rng := rand.New(rand.NewPCG(10, 11))
	for l := range 3 { // a non-zero last layer, so every gradient path is exercised
		for i := range h.W[l] {
			h.W[l][i] = float32(rng.NormFloat64() * 0.5)
		}
	}
	s := &Samples{Dim: 5, Out: 3}
	for i := range 12 {
		for range 5 {
			s.X = append(s.X, float32(rng.NormFloat64()))
		}
		for range 3 {
			s.Base = append(s.Base, float32(rng.NormFloat64()))
		}
		s.Y = append(s.Y, []uint8{0, 1, LabelProxy, LabelIgnore}[i%4])
		s.Weight = append(s.Weight, 0.5+float32(i%3))
	}
	idx := make([]int, s.Len())
	for i := range idx {
		idx[i] = i
	}
	total := func() float64 {
		z := NewHead(nil, 5, 4, 3, scale, 0)
		l, _ := h.backprop(z, s, idx, 2, 0.9, 1)
		return l
	}
	g := NewHead(nil, 5, 4, 3, scale, 0)
	for l := range 3 {
		clear(g.W[l])
		clear(g.B[l])
	}
	h.backprop(g, s, idx, 2, 0.9, 1)
	for l := range 3 {
		for _, p := range []struct{ v, g []float32 }{{h.W[l], g.W[l]}, {h.B[l], g.B[l]}} {
			for j := range p.v {
				old := p.v[j]
				const eps = 1e-2
				p.v[j] = old + eps
				up := total()
				p.v[j] = old - eps
				down := total()
				p.v[j] = old
				num := (up - down) / (2 * eps)
				if math.Abs(num-float64(p.g[j])) > 2e-3+0.02*math.Abs(num) {
					t.Errorf("layer %d weight %d: backprop %.6g, finite difference %.6g", l, j, p.g[j], num)
				}
			}
		}
	}
}

// TestHeadStartsAtZero: an untrained head leaves the scores as they were.
func TestHeadStartsAtZero(t *testing.T) {
	for _, scale := range []bool{false, true} {
		h := NewHead(nil, 4, 8, 3, scale, 1)
		feat := []float32{1, 2, 3, 4, 5, 6, 7, 8}
		scores := []float32{0.5, -1, 2, 3, 4, 5}
		want := slices.Clone(scores)
		h.Apply(feat, scores, 2)
		if !slices.Equal(scores, want) {
			t.Fatalf("scale=%v: scores changed: %v → %v", scale, want, scores)
		}
	}
}

// TestScaleHeadKeepsArgmax: whatever its weights, a scale head never changes the winning class.
func TestScaleHeadKeepsArgmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	h := randomWeights(NewHead(nil, 3, 4, 5, true, 2), rng, 3)
	const n = 50
	feat, scores := randomMaps(rng, 3, 5, n)
	argmax := func(s []float32, j int) int {
		b := 0
		for c := 1; c < 5; c++ {
			if s[c*n+j] > s[b*n+j] {
				b = c
			}
		}
		return b
	}
	before := slices.Clone(scores)
	h.Apply(feat, scores, n)
	for j := range n {
		if argmax(before, j) != argmax(scores, j) {
			t.Fatalf("pixel %d: class %d became %d", j, argmax(before, j), argmax(scores, j))
		}
	}
}

// TestEnsemble: one member computes what its head does; two average their temperatures; heads
// that cannot be averaged are refused.
func TestEnsemble(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	random := func(seed uint64) *Head { return randomWeights(NewHead([]string{"f"}, 3, 4, 5, true, seed), rng, 1) }
	const n = 20
	feat, scores := randomMaps(rng, 3, 5, n)
	a, b := random(1), random(2)
	one, err := NewEnsemble([]*Head{a})
	if err != nil {
		t.Fatal(err)
	}
	got, want := slices.Clone(scores), slices.Clone(scores)
	one.Apply(feat, got, n)
	a.Apply(feat, want, n)
	if !slices.Equal(got, want) {
		t.Fatalf("one-head ensemble %v, head %v", got[:5], want[:5])
	}
	two, err := NewEnsemble([]*Head{a, b})
	if err != nil {
		t.Fatal(err)
	}
	got = slices.Clone(scores)
	two.Apply(feat, got, n)
	x, z1, z2, o := make([]float32, 3), make([]float32, 4), make([]float32, 4), make([]float32, 1)
	for j := range n {
		for c := range 3 {
			x[c] = feat[c*n+j]
		}
		a.pixel(x, z1, z2, o)
		sa := sigmoid(o[0])
		b.pixel(x, z1, z2, o)
		temp := sa + sigmoid(o[0]) // (2/2)·(σa + σb)
		for c := range 5 {
			if w := scores[c*n+j] * temp; math.Abs(float64(got[c*n+j]-w)) > 1e-5*math.Max(1, math.Abs(float64(w))) {
				t.Fatalf("pixel %d class %d: %g, want %g", j, c, got[c*n+j], w)
			}
		}
	}
	if two.Params() != 2*a.Params() {
		t.Fatalf("params %d, want %d", two.Params(), 2*a.Params())
	}
	add := NewHead([]string{"f"}, 3, 4, 5, false, 3)
	other := NewHead([]string{"g"}, 3, 4, 5, true, 4)
	for _, c := range []struct {
		name  string
		heads []*Head
	}{{"none", nil}, {"additive", []*Head{a, add}}, {"other inputs", []*Head{a, other}}} {
		if _, err := NewEnsemble(c.heads); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", c.name, err)
		}
	}
}

// randomWeights gives every weight of h a normal value of standard deviation sd and returns h.
func randomWeights(h *Head, rng *rand.Rand, sd float64) *Head {
	for l := range 3 {
		for i := range h.W[l] {
			h.W[l][i] = float32(rng.NormFloat64() * sd)
		}
	}
	return h
}

// randomMaps returns random planar features (in×n) and class scores (out×n, larger spread).
func randomMaps(rng *rand.Rand, in, out, n int) (feat, scores []float32) {
	feat, scores = make([]float32, in*n), make([]float32, out*n)
	for i := range feat {
		feat[i] = float32(rng.NormFloat64())
	}
	for i := range scores {
		scores[i] = float32(rng.NormFloat64() * 4)
	}
	return feat, scores
}
