package calib

import (
	"math"
	"testing"
)

func TestPickThreshold(t *testing.T) {
	// FPs at 0.2, 0.5, 0.5, 0.9; TPs at 0.1, 0.3, 0.6, 0.95; one NaN row (unfinished fold).
	prob := []float64{0.2, 0.5, 0.5, 0.9, 0.1, 0.3, 0.6, 0.95, math.NaN()}
	y := []float64{1, 1, 1, 1, 0, 0, 0, 0, 1}
	for _, c := range []struct {
		name           string
		frames         int
		perFrame       float64
		keptFP, keptTP int
		lo, hi         float64
	}{
		{"no false alarm", 4, 0, 0, 1, 0.1, 0.2},
		{"one allowed", 2, 0.5, 1, 2, 0.3, 0.5},     // budget 1: between 0.2 and 0.5
		{"two allowed, ties", 1, 2, 1, 2, 0.3, 0.5}, // 0.5 twice: stay below both
		{"three allowed", 1, 3, 3, 3, 0.6, 0.9},
		{"all allowed", 1, 10, 4, 4, 0.95, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := PickThreshold(prob, y, c.frames, c.perFrame)
			if err != nil {
				t.Fatal(err)
			}
			if p.KeptFP != c.keptFP || p.KeptTP != c.keptTP || !(p.Threshold >= c.lo && p.Threshold < c.hi) {
				t.Fatalf("threshold %g keeps %d FP %d TP; want %d FP %d TP, threshold in [%g, %g)", p.Threshold, p.KeptFP, p.KeptTP, c.keptFP, c.keptTP, c.lo, c.hi)
			}
			if p.FPPerFrame > c.perFrame {
				t.Fatalf("%.2f false per frame over the budget %g", p.FPPerFrame, c.perFrame)
			}
		})
	}
	if _, err := PickThreshold(prob, y[:3], 1, 1); err == nil {
		t.Fatal("mismatched lengths: want an error")
	}
}
