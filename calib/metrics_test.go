package calib

import (
	"math"
	"testing"
)

// Expected values are hand-computed (and agree with sklearn's roc_auc_score / average_precision_score).
func TestAUROCAndAP(t *testing.T) {
	cases := []struct {
		name      string
		y, p      []float64
		auroc, ap float64
	}{
		// sklearn docs example: roc_auc 0.75, AP 0.8333.
		{"sklearn example", []float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8}, 0.75, 5.0 / 6},
		// a tie between a positive and a negative counts one half in AUROC and forms one PR point.
		{"tie", []float64{0, 1, 0, 1}, []float64{0.5, 0.5, 0.2, 0.9}, 3.5 / 4, 0.5*1 + 0.5*2.0/3},
		{"perfect", []float64{0, 0, 1}, []float64{0.1, 0.2, 0.3}, 1, 1},
		{"all tied", []float64{0, 1, 1, 0}, []float64{0.5, 0.5, 0.5, 0.5}, 0.5, 0.5},
		{"inverted", []float64{1, 0}, []float64{0.1, 0.9}, 0, 0.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if a := AUROC(c.y, c.p); math.Abs(a-c.auroc) > 1e-12 {
				t.Errorf("AUROC %v, want %v", a, c.auroc)
			}
			if a := AveragePrecision(c.y, c.p); math.Abs(a-c.ap) > 1e-12 {
				t.Errorf("AP %v, want %v", a, c.ap)
			}
		})
	}
	if !math.IsNaN(AUROC([]float64{1, 1}, []float64{0.2, 0.3})) {
		t.Error("AUROC with one class should be NaN")
	}
}

func TestCounts(t *testing.T) {
	y := []float64{1, 1, 1, 0, 0}
	p := []float64{0.9, 0.5, 0.2, 0.7, 0.1} // 0.5 is kept: removal needs P > 0.5
	c := Count(y, p, 0.5)
	want := Counts{Components: 5, FPBefore: 3, TPBefore: 2, FPAfter: 2, TPAfter: 1, FPRemoved: 1, TPRemoved: 1, RefFPAfter: 1}
	if c != want {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
	if a := Accuracy(y, p, 0.5); a != 2.0/5 { // rows 0 and 4 are right
		t.Fatalf("accuracy %v", a)
	}
}
