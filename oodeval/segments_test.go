package oodeval

import (
	"math"
	"slices"
	"testing"
)

// parseGrid reads a test grid: '.' known, 'o' known + predicted, '#' anomaly, '@' anomaly +
// predicted, 'v' void, 'V' void + predicted.
func parseGrid(rows []string) (labels []uint8, pred []bool, w, h int) {
	w, h = len(rows[0]), len(rows)
	for _, r := range rows {
		for _, c := range r {
			labels = append(labels, map[rune]uint8{'.': Known, 'o': Known, '#': Anomaly, '@': Anomaly, 'v': Void, 'V': Void}[c])
			pred = append(pred, c == 'o' || c == '@' || c == 'V')
		}
	}
	return labels, pred, w, h
}

var (
	gridTwoInstances = []string{ // hand-computed in TestSegmentsByHand
		"........",
		".#@oo@#.",
		".##..#V.",
		"o......#",
	}
	gridGood = []string{
		"..........",
		".##.......",
		".@@@o.....",
		".@@@......",
		"......#...",
		"........oo",
	}
	gridRandom = []string{ // random_grid(7) of testdata/segments.py
		"..............#...o..##.",
		"...#.oo..............##.",
		"......o.......ooo....##.",
		"......o.#.....@o#.......",
		".##.....@o....#.........",
		".##....................o",
		".##....o...o...........o",
		".o......##o...#...#...oo",
		"...#............o.......",
		".......o.#..............",
		"..o...................##",
		"..........o..........o##",
		".oo@o.....#..####.....##",
		"vvvvvvvv..o......#......",
		"vvvvvVvv.ooooo.......o..",
		"vvvvvvvv.ooooo..........",
	}
)

// TestSegmentsByHand: GT instances A (4 px), B (3 px, one void pixel beside it) and C (1 px); one
// predicted component P1 of 4 px touches A and B on one pixel each; P2 is a lone known pixel; the
// prediction on void is removed.
//
//	sIoU(A) = 1 / (|P1| 4 + |A| 4 − 1 − 1 on B) = 1/6;  sIoU(B) = 1 / (4 + 3 − 1 − 1) = 1/5;  sIoU(C) = 0
//	PPV(P1) = 2/4;  PPV(P2) = 0;  sIoU_pred(P1) = 2 / (|A∪B| 7 + 4 − 2) = 2/9
func TestSegmentsByHand(t *testing.T) {
	labels, pred, w, h := parseGrid(gridTwoInstances)
	g := gtInstances(labels, w, h, 0)
	s := segmentScores(labels, g, pred, w, h, 0)
	checkScores(t, "by hand", s, []float64{1.0 / 6, 1.0 / 5, 0}, []float64{2.0 / 9, 0}, []float64{0.5, 0})
}

// TestSegmentsSMIYC compares with SMIYC's default_instancer + segment_metrics (testdata/segments.py).
func TestSegmentsSMIYC(t *testing.T) {
	for _, c := range []struct {
		name                string
		grid                []string
		f                   SizeFilter
		siouGT, siouP, prec []float64
		f1                  []float64
	}{
		{"two instances", gridTwoInstances, SizeFilter{}, []float64{1.0 / 6, 0.2, 0}, []float64{2.0 / 9, 0}, []float64{0.5, 0}, make([]float64, 11)},
		{"two instances filtered", gridTwoInstances, SizeFilter{SegSize: 3, InstSize: 2}, []float64{1.0 / 6, 0.2}, []float64{2.0 / 9}, []float64{0.5}, make([]float64, 11)},
		{"good", gridGood, SizeFilter{}, []float64{2.0 / 3, 0}, []float64{2.0 / 3, 0}, []float64{6.0 / 7, 0},
			[]float64{0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 0}},
		{"good filtered", gridGood, SizeFilter{SegSize: 3, InstSize: 2}, []float64{2.0 / 3}, []float64{2.0 / 3}, []float64{6.0 / 7},
			[]float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}},
		{"random", gridRandom, SizeFilter{},
			[]float64{0, 0, 0, 1.0 / 3, 1.0 / 6, 0, 0, 0, 0, 0, 0, 0, 0, 0.25, 0, 0},
			[]float64{0, 0, 1.0 / 6, 1.0 / 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.25, 0, 0},
			[]float64{0, 0, 0.2, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.25, 0, 0},
			[]float64{0.125, 0.0625, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"random filtered", gridRandom, SizeFilter{SegSize: 3, InstSize: 2},
			[]float64{0, 0, 1.0 / 6, 0, 0, 0, 0}, []float64{0, 1.0 / 6, 0, 0, 0}, []float64{0, 0.2, 0, 0, 0}, make([]float64, 11)},
	} {
		t.Run(c.name, func(t *testing.T) {
			labels, pred, w, h := parseGrid(c.grid)
			g := gtInstances(labels, w, h, c.f.InstSize)
			s := segmentScores(labels, g, pred, w, h, c.f.SegSize)
			checkScores(t, c.name, s, c.siouGT, c.siouP, c.prec)
			var a SegmentAccumulator
			a.Add(s)
			m := a.Metrics()
			for k, pt := range m.PerTau {
				if math.Abs(float64(pt.F1)-c.f1[k]) > 1e-12 {
					t.Errorf("F1 at τ %v = %v, want %v", pt.Tau, pt.F1, c.f1[k])
				}
			}
			sum := 0.0
			for _, v := range c.f1 {
				sum += v
			}
			if !near(m.F1Mean, sum/11) || m.GTInstances != len(c.siouGT) || m.Components != len(c.prec) {
				t.Errorf("summary %+v", m)
			}
		})
	}
}

func checkScores(t *testing.T, name string, s SegmentScores, siouGT, siouP, prec []float64) {
	t.Helper()
	eq := func(a, b []float64) bool {
		return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Abs(x-y) <= 1e-12 })
	}
	if !eq(s.SIoUGT, siouGT) || !eq(s.SIoUPred, siouP) || !eq(s.PrecPred, prec) {
		t.Errorf("%s: sIoU gt %v pred %v PPV %v\nwant %v %v %v", name, s.SIoUGT, s.SIoUPred, s.PrecPred, siouGT, siouP, prec)
	}
}

// TestTaus: numpy.linspace(0.25, 0.75, 11) bit for bit (0.6000000000000001 included).
func TestTaus(t *testing.T) {
	want := []float64{0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6000000000000001, 0.65, 0.7, 0.75}
	if got := Taus(); !slices.Equal(got, want) {
		t.Errorf("Taus() = %v", got)
	}
}

func TestLabel8(t *testing.T) {
	// Diagonal contact joins; numbering follows the first pixel in row-major order.
	in := []bool{
		true, false, false, true,
		false, true, false, false,
		false, false, false, true,
	}
	lab, n := label8(in, 4, 3)
	if want := []int32{1, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 3}; n != 3 || !slices.Equal(lab, want) {
		t.Errorf("label8 = %v (%d), want %v", lab, n, want)
	}
}

func TestSegmentsAccumulatorEmpty(t *testing.T) {
	var a SegmentAccumulator
	m := a.Metrics()
	if !math.IsNaN(float64(m.SIoUGT)) || !math.IsNaN(float64(m.F1Mean)) || len(m.PerTau) != 11 {
		t.Errorf("empty: %+v", m)
	}
}
