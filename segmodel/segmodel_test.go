package segmodel

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveFeatures computes pixel (i, j)'s features straight from the definitions, as an oracle.
func naiveFeatures(rgb []float32, h, w, i, j int) []float64 {
	hw := h * w
	mean := func(c, r int, sq bool) float64 {
		var s float64
		var n int
		for y := max(i-r, 0); y <= min(i+r, h-1); y++ {
			for x := max(j-r, 0); x <= min(j+r, w-1); x++ {
				v := float64(rgb[c*hw+y*w+x])
				if sq {
					v *= v
				}
				s += v
				n++
			}
		}
		return s / float64(n)
	}
	out := make([]float64, 0, NumFeatures)
	for c := range 3 {
		out = append(out, float64(rgb[c*hw+i*w+j]))
	}
	for c := range 3 {
		out = append(out, mean(c, SmallWin/2, false))
	}
	for c := range 3 {
		m := mean(c, SmallWin/2, false)
		out = append(out, mean(c, SmallWin/2, true)-m*m)
	}
	out = append(out, (float64(i)+0.5)/float64(h))
	for c := range 3 {
		var s float64
		for x := range w {
			s += float64(rgb[c*hw+i*w+x])
		}
		out = append(out, s/float64(w))
	}
	return append(out, math.Abs(2*(float64(j)+0.5)/float64(w)-1))
}

func TestFeaturesMatchDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, sz := range []struct{ h, w int }{{1, 1}, {3, 30}, {23, 4}, {40, 57}} {
		rgb := make([]float32, 3*sz.h*sz.w)
		for i := range rgb {
			rgb[i] = rng.Float32()
		}
		var f Features
		if err := ComputeFeatures(rgb, sz.h, sz.w, &f); err != nil {
			t.Fatal(err)
		}
		got := make([]float32, NumFeatures)
		for i := range sz.h {
			for j := range sz.w {
				f.At(i, j, got)
				for k, want := range naiveFeatures(rgb, sz.h, sz.w, i, j) {
					if math.Abs(float64(got[k])-want) > 1e-5 {
						t.Fatalf("%dx%d pixel (%d,%d) feature %s = %g, want %g", sz.h, sz.w, i, j, FeatureNames[k], got[k], want)
					}
				}
			}
		}
	}
}

func TestShapeErrors(t *testing.T) {
	var f Features
	cases := []struct {
		name string
		err  error
	}{
		{"features short", ComputeFeatures(make([]float32, 5), 2, 2, &f)},
		{"features zero size", ComputeFeatures(nil, 0, 3, &f)},
		{"bgr short", func() error { _, err := RGBFromBGR(make([]byte, 11), 2, 2, nil); return err }()},
		{"forward short", func() error { _, err := NewNet(4, 4, 1).Forward(make([]float32, 3), 2, 2, nil); return err }()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !errors.Is(c.err, ErrShape) {
				t.Fatalf("error = %v, want ErrShape", c.err)
			}
		})
	}
}

func TestRGBFromBGR(t *testing.T) {
	bgr := []byte{0, 128, 255, 10, 20, 30}
	got, err := RGBFromBGR(bgr, 2, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 30.0 / 255, 128.0 / 255, 20.0 / 255, 0, 10.0 / 255}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-7 {
			t.Fatalf("RGBFromBGR = %v, want %v", got, want)
		}
	}
}

// TestGradient compares backprop with central finite differences on a few weights of each layer.
func TestGradient(t *testing.T) {
	n := NewNet(6, 5, 3)
	for i := range n.B1 {
		n.B1[i] = 0.3 // keep most units active so ReLU kinks are rare
	}
	rng := rand.New(rand.NewPCG(9, 9))
	s := &samples{x: make([]float32, 4*NumFeatures), y: []uint8{2, LabelUniform, 7, LabelUniform}}
	for i := range s.x {
		s.x[i] = float32(rng.NormFloat64())
	}
	idx := []int{0, 1, 2, 3}
	const alpha = 0.9
	g := zeroLike(n)
	backprop(n, g, s, idx, alpha)
	loss := func() float64 { return backprop(n, zeroLike(n), s, idx, alpha) }
	gp := params(g)
	for li, p := range params(n) {
		for _, j := range []int{0, len(p) / 2, len(p) - 1} {
			old := p[j]
			const eps = 1e-3
			p[j] = old + eps
			up := loss()
			p[j] = old - eps
			down := loss()
			p[j] = old
			num := (up - down) / (2 * eps)
			if d := math.Abs(num - float64(gp[li][j])); d > 2e-3*math.Max(1, math.Abs(num)) {
				t.Errorf("param %d[%d]: backprop %g, finite difference %g", li, j, gp[li][j], num)
			}
		}
	}
}

func TestFromONNXRoundTrip(t *testing.T) {
	n := NewNet(7, 5, 11)
	n.B2[3] = 0.25
	m, err := n.Build("trained", "test")
	if err != nil {
		t.Fatal(err)
	}
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := FromONNX(data)
	if err != nil {
		t.Fatal(err)
	}
	pb := params(back)
	for i, p := range params(n) {
		for j := range p {
			if p[j] != pb[i][j] {
				t.Fatalf("param %d[%d] = %g after round trip, want %g", i, j, pb[i][j], p[j])
			}
		}
	}
	if _, err := FromONNX([]byte("junk")); !errors.Is(err, ErrModel) {
		t.Errorf("FromONNX(junk) = %v, want ErrModel", err)
	}
	bad := &Net{H1: 2, H2: 2}
	if _, err := bad.Build(); !errors.Is(err, ErrModel) {
		t.Errorf("Build of empty net = %v, want ErrModel", err)
	}
}

func TestNormalizedEntropy(t *testing.T) {
	uniform := make([]float32, Classes)
	if e := NormalizedEntropy(uniform); math.Abs(e-1) > 1e-9 {
		t.Errorf("entropy of uniform = %g, want 1", e)
	}
	peaked := make([]float32, Classes)
	peaked[4] = 100
	if e := NormalizedEntropy(peaked); e > 1e-9 {
		t.Errorf("entropy of one-hot = %g, want 0", e)
	}
}

func FuzzFromONNX(f *testing.F) {
	m, _ := NewNet(3, 2, 1).Build()
	data, _ := m.Marshal()
	f.Add(data)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := FromONNX(b)
		if err != nil {
			return
		}
		if err := n.check(); err != nil {
			t.Fatalf("FromONNX accepted a net that fails check: %v", err)
		}
	})
}
