package calib

import (
	"math"
	"sort"
)

// curve holds the cumulative counts at each distinct score, from the highest score down, as sklearn's
// _binary_clf_curve does: tied scores form one point, which is how ties are handled in AUROC and AP.
type curve struct {
	tp, fp []float64
	thr    []float64
	pos    float64
	neg    float64
}

func clfCurve(y, p []float64) curve {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
	var c curve
	tp, fp := 0.0, 0.0
	for k, i := range idx {
		if y[i] == 1 {
			tp++
		} else {
			fp++
		}
		if k == len(idx)-1 || p[idx[k+1]] != p[i] {
			c.tp = append(c.tp, tp)
			c.fp = append(c.fp, fp)
			c.thr = append(c.thr, p[i])
		}
	}
	c.pos, c.neg = tp, fp
	return c
}

// ROC returns the ROC curve (false-positive rate, true-positive rate), starting at (0, 0); the
// positive class is y = 1 (a false-positive component). Tied scores give one point.
func ROC(y, p []float64) (fpr, tpr []float64) {
	c := clfCurve(y, p)
	fpr, tpr = []float64{0}, []float64{0}
	for k := range c.tp {
		fpr = append(fpr, c.fp[k]/c.neg)
		tpr = append(tpr, c.tp[k]/c.pos)
	}
	return fpr, tpr
}

// AUROC is the trapezoidal area under ROC, as sklearn.metrics.roc_auc_score (NaN with one class only).
func AUROC(y, p []float64) float64 {
	fpr, tpr := ROC(y, p)
	if math.IsNaN(fpr[len(fpr)-1]) || math.IsNaN(tpr[len(tpr)-1]) {
		return math.NaN()
	}
	a := 0.0
	for k := 1; k < len(fpr); k++ {
		a += (fpr[k] - fpr[k-1]) * (tpr[k] + tpr[k-1]) / 2
	}
	return a
}

// PR returns the precision–recall curve from the highest threshold down (recall increasing).
func PR(y, p []float64) (recall, precision []float64) {
	c := clfCurve(y, p)
	for k := range c.tp {
		recall = append(recall, c.tp[k]/c.pos)
		precision = append(precision, c.tp[k]/(c.tp[k]+c.fp[k]))
	}
	return recall, precision
}

// AveragePrecision is sklearn.metrics.average_precision_score: Σ (R_k − R_{k−1})·P_k, the AUPRC of docs/METHOD.md §5.
func AveragePrecision(y, p []float64) float64 {
	r, pr := PR(y, p)
	ap, prev := 0.0, 0.0
	for k := range r {
		ap += (r[k] - prev) * pr[k]
		prev = r[k]
	}
	return ap
}

// Counts are component counts before and after meta classification at a threshold (remove when P(FP) > thr).
type Counts struct {
	Components int `json:"n_components"`
	FPBefore   int `json:"n_false_positive"`       // iou0 = 1
	TPBefore   int `json:"n_true_positive"`        // iou0 = 0
	FPAfter    int `json:"n_false_positive_after"` // FPs kept: iou0 = 1 and not removed (the correct count)
	TPAfter    int `json:"n_true_positive_after"`  // TPs kept
	FPRemoved  int `json:"n_fp_removed"`
	TPRemoved  int `json:"n_tp_removed"`
	// RefFPAfter is the reference code's "fp_after" = #removed − #removed FPs, which is the number of
	// removed TPs, not of remaining FPs (docs/METHOD.md §5); kept to compare with published figures.
	RefFPAfter int `json:"reference_fp_after_defect"`
}

// Count computes Counts for labels y (1 = FP) and scores p at threshold thr.
func Count(y, p []float64, thr float64) Counts {
	c := Counts{Components: len(y)}
	for i, yi := range y {
		kick := p[i] > thr
		fp := yi == 1
		switch {
		case fp && kick:
			c.FPBefore++
			c.FPRemoved++
		case fp:
			c.FPBefore++
			c.FPAfter++
		case kick:
			c.TPBefore++
			c.TPRemoved++
		default:
			c.TPBefore++
			c.TPAfter++
		}
	}
	c.RefFPAfter = (c.FPRemoved + c.TPRemoved) - c.FPRemoved
	return c
}

// Accuracy is the share of rows where (P(FP) > thr) equals the label.
func Accuracy(y, p []float64, thr float64) float64 {
	ok := 0
	for i, yi := range y {
		if (p[i] > thr) == (yi == 1) {
			ok++
		}
	}
	return float64(ok) / float64(len(y))
}
