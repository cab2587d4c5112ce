package oodeval

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The expected values come from testdata/expected.py (Debian python3-sklearn 1.2.1, numpy 1.24.2):
// AUROC = sklearn roc_auc_score, AP = sklearn average_precision_score, FPR95 and best F1 as SMIYC's
// pixel_classification_curves.py computes them, all on the same float32 scores.
var pixelCases = []struct {
	name                  string
	scores                []float32
	labels                []uint8
	auroc, ap, fpr95, thr float64
	bestF1, bestF1Thr     float64
}{
	{"basic", []float32{0.1, 0.4, 0.35, 0.8}, []uint8{0, 0, 1, 1},
		0.75, 0.8333333333333333, 0.5, 0.3499999940395355, 0.8, 0.3499999940395355},
	{"ties", []float32{0.5, 0.5, 0.5, 0.2, 0.2, 0.9, 0.1, 0.5}, []uint8{1, 0, 1, 0, 1, 1, 0, 0},
		0.71875, 0.6928571428571428, 0.75, 0.20000000298023224, 0.7272727272727273, 0.20000000298023224},
	{"all_tied", []float32{0.3, 0.3, 0.3, 0.3, 0.3, 0.3}, []uint8{1, 0, 0, 1, 0, 0},
		0.5, 0.3333333333333333, 1.0, 0.30000001192092896, 0.5, 0.30000001192092896},
	{"signed_zero_negative", []float32{-1, float32(math.Copysign(0, -1)), 0, 2.5, -0.5, 0}, []uint8{0, 1, 0, 1, 1, 0},
		0.6666666666666667, 0.7, 0.6666666666666666, -0.5, 0.75, -0.5},
	{"grid",
		[]float32{0.25, 0.5, 0.75, 0.25, 1, 0, 0.5, 0.5, 0.75, 0.25, 0.75, 0, 1, 0.5, 0.25, 0.75, 0.5, 0, 0.25, 1,
			0.5, 0.75, 0.25, 0.5, 0, 0.75, 1, 0.5, 0.25, 0.5},
		[]uint8{0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1,
			1, 1, 0, 0, 0, 0, 1, 1, 0, 0},
		0.826388888888889, 0.7397773279352227, 0.7777777777777778, 0.25, 0.7096774193548387, 0.5},
}

func near(a Float, b float64) bool { return math.Abs(float64(a)-b) <= 1e-12 }

func TestPixelMetricsSklearn(t *testing.T) {
	for _, c := range pixelCases {
		t.Run(c.name, func(t *testing.T) {
			var p PixelScores
			if err := p.Add(c.scores, c.labels); err != nil {
				t.Fatal(err)
			}
			m := p.Metrics()
			if !near(m.AUROC, c.auroc) || !near(m.AP, c.ap) || !near(m.FPR95, c.fpr95) || !near(m.FPR95Threshold, c.thr) ||
				!near(m.BestF1, c.bestF1) || !near(m.BestF1Threshold, c.bestF1Thr) {
				t.Errorf("got AUROC %v AP %v FPR95 %v at %v best F1 %v at %v\nwant %v %v %v at %v, %v at %v", m.AUROC, m.AP, m.FPR95,
					m.FPR95Threshold, m.BestF1, m.BestF1Threshold, c.auroc, c.ap, c.fpr95, c.thr, c.bestF1, c.bestF1Thr)
			}
			// Void pixels (and any other label) change nothing, whatever their scores; so does
			// adding the same pixels as two frames.
			var q PixelScores
			half := len(c.scores) / 2
			sc := append([]float32{99, -99}, c.scores[:half]...)
			lb := append([]uint8{Void, 7}, c.labels[:half]...)
			if err := q.Add(sc, lb); err != nil {
				t.Fatal(err)
			}
			var r PixelScores
			if err := r.Add(c.scores[half:], c.labels[half:]); err != nil {
				t.Fatal(err)
			}
			q.Merge(&r)
			if m2 := q.Metrics(); m2 != m {
				t.Errorf("with void pixels, in two parts: %+v, want %+v", m2, m)
			}
		})
	}
}

func TestPixelMetricsEdgeCases(t *testing.T) {
	var p PixelScores
	if m := p.Metrics(); !math.IsNaN(float64(m.AUROC)) || !math.IsNaN(float64(m.AP)) {
		t.Errorf("empty: %+v", m)
	}
	if err := p.Add([]float32{0.2, 0.9}, []uint8{0, 0}); err != nil {
		t.Fatal(err)
	}
	m := p.Metrics()
	if !math.IsNaN(float64(m.AUROC)) || !math.IsNaN(float64(m.AP)) || !math.IsNaN(float64(m.FPR95)) || m.Negatives != 2 {
		t.Errorf("known pixels only: %+v", m)
	}
	if err := p.Add([]float32{float32(math.NaN())}, []uint8{1}); err == nil {
		t.Error("NaN score accepted")
	}
	if err := p.Add([]float32{float32(math.NaN())}, []uint8{Void}); err != nil {
		t.Errorf("NaN on a void pixel: %v", err)
	}
	if err := p.Add([]float32{1}, []uint8{1, 0}); err == nil {
		t.Error("length mismatch accepted")
	}
}

// bruteForce computes AUROC as the Mann-Whitney statistic (ties count one half), AP and FPR95 by
// scanning every distinct score as a threshold.
func bruteForce(s []float32, y []uint8) (auroc, ap, fpr95 float64) {
	var pos, neg []float32
	for i, v := range s {
		if y[i] == 1 {
			pos = append(pos, v)
		} else {
			neg = append(neg, v)
		}
	}
	pairs := 0.0
	for _, a := range pos {
		for _, b := range neg {
			switch {
			case a > b:
				pairs++
			case a == b:
				pairs += 0.5
			}
		}
	}
	auroc = pairs / float64(len(pos)*len(neg))
	thr := map[float32]bool{}
	for _, v := range s {
		thr[v] = true
	}
	var ts []float32
	for v := range thr {
		ts = append(ts, v)
	}
	for i := range ts { // descending
		for j := i + 1; j < len(ts); j++ {
			if ts[j] > ts[i] {
				ts[i], ts[j] = ts[j], ts[i]
			}
		}
	}
	prevR, found := 0.0, false
	for _, t := range ts {
		tp, fp := 0, 0
		for i, v := range s {
			if v >= t {
				if y[i] == 1 {
					tp++
				} else {
					fp++
				}
			}
		}
		r := float64(tp) / float64(len(pos))
		ap += (r - prevR) * float64(tp) / float64(tp+fp)
		prevR = r
		if !found && r >= 0.95 {
			found, fpr95 = true, float64(fp)/float64(len(neg))
		}
	}
	return auroc, ap, fpr95
}

// TestPixelMetricsProperty: on random small inputs with many ties, AUROC is the Mann-Whitney pair
// count and AP and FPR95 match a brute-force scan of all thresholds.
func TestPixelMetricsProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for it := range 300 {
		n := 2 + rng.IntN(60)
		levels := 1 + rng.IntN(12)
		s, y := make([]float32, n), make([]uint8, n)
		for i := range s {
			s[i] = float32(rng.IntN(levels)) / float32(levels)
			y[i] = uint8(rng.IntN(2))
		}
		y[0], y[1] = 0, 1
		checkBrute(t, it, s, y)
	}
}

func checkBrute(t *testing.T, it int, s []float32, y []uint8) {
	t.Helper()
	var p PixelScores
	if err := p.Add(s, y); err != nil {
		t.Fatal(err)
	}
	m := p.Metrics()
	a, ap, f := bruteForce(s, y)
	if math.Abs(float64(m.AUROC)-a) > 1e-12 || math.Abs(float64(m.AP)-ap) > 1e-12 || math.Abs(float64(m.FPR95)-f) > 1e-12 {
		t.Fatalf("case %d %v %v: AUROC %v AP %v FPR95 %v, brute force %v %v %v", it, s, y, m.AUROC, m.AP, m.FPR95, a, ap, f)
	}
}

func FuzzPixelMetrics(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 1, 200, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 4 || len(b) > 400 {
			return
		}
		n := len(b) / 2
		s, y := make([]float32, n), make([]uint8, n)
		for i := range n {
			s[i] = float32(int8(b[2*i])) / 16
			y[i] = b[2*i+1] & 1
		}
		y[0], y[1] = 0, 1
		checkBrute(t, 0, s, y)
	})
}

func TestKeyOrder(t *testing.T) {
	vals := []float32{float32(math.Inf(-1)), -3, -1e-30, 0, 1e-30, 0.5, 1, float32(math.Inf(1))}
	for i := 1; i < len(vals); i++ {
		if key(vals[i-1]) >= key(vals[i]) {
			t.Errorf("key(%v) ≥ key(%v)", vals[i-1], vals[i])
		}
		if unkey(key(vals[i])) != vals[i] {
			t.Errorf("unkey(key(%v)) = %v", vals[i], unkey(key(vals[i])))
		}
	}
	if key(float32(math.Copysign(0, -1))) != key(0) {
		t.Error("−0 and +0 differ")
	}
}

// TestReferenceSklearn: the reference's 100-bin measures of two histograms, against MO's calc.py run
// with sklearn (testdata/expected.py, "ref" lines).
func TestReferenceSklearn(t *testing.T) {
	var cin, cout [RefBins]int64
	for b := range RefBins {
		if b%17 != 0 {
			cin[b] = int64(1e6 * math.Exp(-float64(b)/12))
		}
		cout[b] = int64(3e3 * math.Pow(float64(b)/100, 2))
		if b%5 == 0 {
			cout[b] += 7
		}
	}
	var sin, sout [RefBins]int64
	sin[3], sin[40], sin[99] = 900, 80, 20
	sout[40], sout[70], sout[99] = 5, 10, 30
	for _, c := range []struct {
		name             string
		in, out          [RefBins]int64
		auroc, ap, fpr95 float64
	}{
		{"smooth", cin, cout, 0.989736109769815, 0.6842203127041233, 0.049003521690411396},
		{"sparse", sin, sout, 0.9822222222222222, 0.5826314911424361, 0.1},
	} {
		m := refMetrics(c.in, c.out)
		if !near(m.AUROC, c.auroc) || !near(m.AP, c.ap) || !near(m.FPR95, c.fpr95) {
			t.Errorf("%s: %+v, want AUROC %v AP %v FPR95 %v", c.name, m, c.auroc, c.ap, c.fpr95)
		}
	}
}

// TestRefBin: the bins numpy.histogram(float64(float32(v)), bins=linspace(0, 1, 101)) gives (checked
// with numpy 1.24.2); out-of-range scores are clamped.
func TestRefBin(t *testing.T) {
	for _, c := range []struct {
		v float32
		b int
	}{{0, 0}, {-1, 0}, {0.0099, 0}, {0.01, 0}, {0.5, 50}, {0.99, 99}, {1, 99}, {1.5, 99},
		{0.29, 28}, {0.3, 30}, {0.31, 31}, {0.07, 7}, {0.57, 56}} {
		if got := refBin(c.v); got != c.b {
			t.Errorf("refBin(%v) = %d, want %d", c.v, got, c.b)
		}
	}
}
