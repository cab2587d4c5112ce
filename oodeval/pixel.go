package oodeval

import (
	"fmt"
	"math"
	"slices"
)

// PixelScores collects the anomaly scores of labelled pixels (label 1 positive, 0 negative; others,
// e.g. 255 void, ignored) for exact pixel-level metrics: every distinct score is one threshold, as
// sklearn's roc_curve and average_precision_score treat them, not 100 bins. It keeps 4 bytes per
// scored pixel (20 M pixels: 80 MB). It also fills the reference's 100-bin histograms (docs/METHOD.md §8).
// The zero value is ready to use; it is not safe for concurrent use.
type PixelScores struct {
	pos, neg []uint32 // order-preserving keys of the scores (see key)
	sorted   bool
	hist     [2][RefBins]int64 // [0] known, [1] anomaly: the reference's histograms
}

// key maps a float32 to a uint32 with the same order (−0 and +0 share one key); NaN is not allowed.
func key(f float32) uint32 {
	if f == 0 {
		f = 0 // −0 → +0
	}
	b := math.Float32bits(f)
	if b>>31 != 0 {
		return ^b
	}
	return b | 1<<31
}

// unkey inverts key.
func unkey(k uint32) float32 {
	if k>>31 != 0 {
		return math.Float32frombits(k &^ (1 << 31))
	}
	return math.Float32frombits(^k)
}

// Add adds the pixels of one frame: scores and labels are parallel (same length). A NaN score on a
// scored pixel is an error (ErrInput); nothing is added then.
func (p *PixelScores) Add(scores []float32, labels []uint8) error {
	if len(scores) != len(labels) {
		return fmt.Errorf("%w: %d scores for %d labels", ErrInput, len(scores), len(labels))
	}
	for i, l := range labels {
		if (l == Known || l == Anomaly) && math.IsNaN(float64(scores[i])) {
			return fmt.Errorf("%w: NaN score at pixel %d", ErrInput, i)
		}
	}
	for i, l := range labels {
		switch l {
		case Anomaly:
			p.pos = append(p.pos, key(scores[i]))
			p.hist[1][refBin(scores[i])]++
		case Known:
			p.neg = append(p.neg, key(scores[i]))
			p.hist[0][refBin(scores[i])]++
		}
	}
	p.sorted = false
	return nil
}

// Merge adds the pixels of q to p.
func (p *PixelScores) Merge(q *PixelScores) {
	p.pos = append(p.pos, q.pos...)
	p.neg = append(p.neg, q.neg...)
	for c := range p.hist {
		for b := range p.hist[c] {
			p.hist[c][b] += q.hist[c][b]
		}
	}
	p.sorted = false
}

// Counts returns the numbers of positive (anomaly) and negative (known) pixels.
func (p *PixelScores) Counts() (pos, neg int) { return len(p.pos), len(p.neg) }

func (p *PixelScores) sort() {
	if !p.sorted {
		slices.Sort(p.pos)
		slices.Sort(p.neg)
		p.sorted = true
	}
}

// sweep visits every distinct score from the highest down with the cumulative true and false
// positives of "score ≥ threshold".
func (p *PixelScores) sweep(visit func(thr float32, tp, fp int)) {
	p.sort()
	i, j := len(p.pos)-1, len(p.neg)-1
	tp, fp := 0, 0
	for i >= 0 || j >= 0 {
		var k uint32
		switch {
		case i < 0:
			k = p.neg[j]
		case j < 0:
			k = p.pos[i]
		default:
			k = max(p.pos[i], p.neg[j])
		}
		for i >= 0 && p.pos[i] == k {
			i--
			tp++
		}
		for j >= 0 && p.neg[j] == k {
			j--
			fp++
		}
		visit(unkey(k), tp, fp)
	}
}

// PixelMetrics are the exact pixel-level measures; the positive class is "anomaly". Undefined
// values (one class missing) are NaN, null in JSON.
type PixelMetrics struct {
	Positives  int   `json:"anomaly_pixels"`
	Negatives  int   `json:"known_pixels"`
	Thresholds int   `json:"distinct_scores"`
	AUROC      Float `json:"auroc"` // trapezoidal area under ROC (sklearn roc_auc_score)
	AP         Float `json:"ap"`    // Σ (R_n − R_{n−1}) P_n (sklearn average_precision_score)
	// FPR95 is the FPR at the first threshold, from the highest down, where TPR ≥ 0.95 (SMIYC).
	FPR95          Float `json:"fpr95"`
	FPR95Threshold Float `json:"fpr95_threshold"`
	// BestF1 is the largest pixel F1 over the thresholds; SMIYC binarizes at its threshold for
	// its component metrics.
	BestF1          Float `json:"best_f1"`
	BestF1Threshold Float `json:"best_f1_threshold"`
}

// Metrics computes the exact measures over all pixels added so far.
func (p *PixelScores) Metrics() PixelMetrics {
	np, nn := float64(len(p.pos)), float64(len(p.neg))
	m := PixelMetrics{Positives: len(p.pos), Negatives: len(p.neg)}
	nan := Float(math.NaN())
	m.AUROC, m.AP, m.FPR95, m.FPR95Threshold, m.BestF1, m.BestF1Threshold = nan, nan, nan, nan, nan, nan
	if np == 0 && nn == 0 {
		return m
	}
	var area, ap, prevR, bestF1 float64
	prevTP, prevFP := 0.0, 0.0
	found, bestThr := false, float32(math.NaN())
	p.sweep(func(thr float32, tpi, fpi int) {
		m.Thresholds++
		tp, fp := float64(tpi), float64(fpi)
		area += (fp - prevFP) * (tp + prevTP) / 2
		prevTP, prevFP = tp, fp
		r := tp / np
		ap += (r - prevR) * (tp / (tp + fp))
		prevR = r
		if !found && r >= 0.95 {
			found = true
			m.FPR95, m.FPR95Threshold = Float(fp/nn), Float(thr)
		}
		if f1 := 2 * tp / (tp + fp + np); f1 > bestF1 {
			bestF1, bestThr = f1, thr
		}
	})
	if np > 0 {
		m.AP = Float(ap)
		m.BestF1, m.BestF1Threshold = Float(bestF1), Float(bestThr)
	}
	if np > 0 && nn > 0 {
		m.AUROC = Float(area / (np * nn))
	} else {
		m.FPR95, m.FPR95Threshold = nan, nan
	}
	return m
}

// Curve is a thinned ROC and PR curve for plots (exact points, at most about maxPoints of each).
type Curve struct {
	FPR, TPR          []float64
	Recall, Precision []float64
}

// Curve returns the ROC curve from (0, 0) and the PR curve (recall increasing), keeping a point
// when it moved by at least 1/maxPoints since the last one kept, and always the last.
func (p *PixelScores) Curve(maxPoints int) Curve {
	np, nn := float64(len(p.pos)), float64(len(p.neg))
	c := Curve{FPR: []float64{0}, TPR: []float64{0}}
	if np == 0 || nn == 0 {
		return c
	}
	step := 1 / float64(max(maxPoints, 2))
	n, k := 0, 0
	var lr, lp float64 = -1, -1
	var lastR, lastP, lastF, lastT float64
	p.sweep(func(_ float32, tpi, fpi int) {
		tp, fp := float64(tpi), float64(fpi)
		f, t := fp/nn, tp/np
		r, pr := t, tp/(tp+fp)
		if math.Abs(f-c.FPR[len(c.FPR)-1])+math.Abs(t-c.TPR[len(c.TPR)-1]) >= step {
			c.FPR, c.TPR = append(c.FPR, f), append(c.TPR, t)
			n = 0
		} else {
			n++
		}
		if lr < 0 || math.Abs(r-lr)+math.Abs(pr-lp) >= step {
			c.Recall, c.Precision = append(c.Recall, r), append(c.Precision, pr)
			lr, lp = r, pr
			k = 0
		} else {
			k++
		}
		lastF, lastT, lastR, lastP = f, t, r, pr
	})
	if n > 0 {
		c.FPR, c.TPR = append(c.FPR, lastF), append(c.TPR, lastT)
	}
	if k > 0 {
		c.Recall, c.Precision = append(c.Recall, lastR), append(c.Precision, lastP)
	}
	return c
}
