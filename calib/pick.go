package calib

import (
	"fmt"
	"math"
	"slices"
)

// ThresholdPick is a decision threshold chosen on out-of-fold predictions, with what it gives
// on those predictions.
type ThresholdPick struct {
	Threshold      float64 `json:"threshold"`
	Frames         int     `json:"frames"`
	KeptFP         int     `json:"kept_false_positives"`
	KeptTP         int     `json:"kept_true_positives"`
	TP             int     `json:"true_positives"`
	FPPerFrame     float64 `json:"kept_false_per_frame"`
	TargetPerFrame float64 `json:"target_false_per_frame"`
	TPKeptFraction float64 `json:"true_kept_fraction"`
}

// PickThreshold returns the largest threshold t (a component is kept when P(FP) ≤ t) at which
// the kept false positives, over frames frames, stay at most perFrame per frame: the most true
// anomalies kept for a false-alarm budget. prob are out-of-fold P(FP) (NaN rows are skipped), y
// the labels (1 = false positive). The threshold lies halfway between the last allowed and the
// first excluded false positive, and inside (0, 1).
func PickThreshold(prob, y []float64, frames int, perFrame float64) (ThresholdPick, error) {
	if len(prob) != len(y) || frames <= 0 || !(perFrame >= 0) {
		return ThresholdPick{}, fmt.Errorf("%w: %d predictions for %d labels, %d frames, %g per frame", ErrData, len(prob), len(y), frames, perFrame)
	}
	var fps []float64
	tp := 0
	for i, p := range prob {
		if math.IsNaN(p) {
			continue
		}
		if y[i] == 1 {
			fps = append(fps, p)
		} else {
			tp++
		}
	}
	slices.Sort(fps)
	budget := int(math.Floor(perFrame * float64(frames)))
	t := 1 - 1e-9
	if budget < len(fps) {
		lo := 0.0
		if budget > 0 {
			lo = fps[budget-1]
		}
		t = (lo + fps[budget]) / 2
		if lo == fps[budget] { // ties: stay below them all
			t = math.Nextafter(fps[budget], 0)
		}
	}
	pick := ThresholdPick{Threshold: t, Frames: frames, TP: tp, TargetPerFrame: perFrame}
	for i, p := range prob {
		if math.IsNaN(p) || p > t {
			continue
		}
		if y[i] == 1 {
			pick.KeptFP++
		} else {
			pick.KeptTP++
		}
	}
	pick.FPPerFrame = float64(pick.KeptFP) / float64(frames)
	if tp > 0 {
		pick.TPKeptFraction = float64(pick.KeptTP) / float64(tp)
	}
	return pick, nil
}
