package oodeval

import "math"

// RefBins is the number of equal bins on [0, 1] of the reference's pixel evaluation (docs/METHOD.md §8).
const RefBins = 100

// refEdge is bin edge k of numpy.linspace(0, 1, 101).
func refEdge(k int) float64 {
	if k == RefBins {
		return 1
	}
	return float64(k) * (1.0 / RefBins)
}

// refBin is the histogram bin of score v as numpy.histogram(v, bins=linspace(0, 1, 101)) counts it
// (the last bin includes 1). Scores outside [0, 1], which the reference would drop, are clamped.
func refBin(v float32) int {
	x := float64(v)
	if !(x > 0) {
		return 0
	}
	if x >= 1 {
		return RefBins - 1
	}
	b := min(int(x*RefBins), RefBins-1)
	for b > 0 && x < refEdge(b) {
		b--
	}
	for b < RefBins-1 && x >= refEdge(b+1) {
		b++
	}
	return b
}

// RefMetrics are the reference's quantized pixel measures (MO:evaluation.py, MO:src/calc.py): each
// pixel's score becomes its bin's upper edge; AUROC from counts rescaled to 1e5 per class (uint32
// truncation) and sklearn's roc_curve (drop_intermediate); FPR95 at the ROC point whose TPR is
// closest to 0.95; AP from counts rescaled to 1e7 in all, keeping the class ratio. For comparison
// with published numbers only; the exact PixelMetrics are the ones to use.
type RefMetrics struct {
	AUROC Float `json:"auroc"`
	AP    Float `json:"ap"`
	FPR95 Float `json:"fpr95"`
}

// Reference computes the reference's quantized measures from the 100-bin histograms.
func (p *PixelScores) Reference() RefMetrics {
	return refMetrics(p.hist[0], p.hist[1])
}

// rescale is the reference's counts_array_to_data_list scaling: uint32(c / Σc · size) per bin.
func rescale(c [RefBins]int64, size float64) [RefBins]float64 {
	var s int64
	for _, v := range c {
		s += v
	}
	var out [RefBins]float64
	for i, v := range c {
		out[i] = float64(uint32(float64(v) / float64(s) * size))
	}
	return out
}

// cumCounts returns the cumulative (tp, fp) at each distinct score from the highest bin down,
// skipping empty bins as sklearn's _binary_clf_curve does.
func cumCounts(neg, pos [RefBins]float64) (tps, fps []float64) {
	tp, fp := 0.0, 0.0
	for b := RefBins - 1; b >= 0; b-- {
		if neg[b]+pos[b] == 0 {
			continue
		}
		tp += pos[b]
		fp += neg[b]
		tps, fps = append(tps, tp), append(fps, fp)
	}
	return tps, fps
}

func refMetrics(in, out [RefBins]int64) RefMetrics {
	nan := Float(math.NaN())
	m := RefMetrics{AUROC: nan, AP: nan, FPR95: nan}
	var sin, sout int64
	for b := range in {
		sin += in[b]
		sout += out[b]
	}
	if sin == 0 || sout == 0 {
		return m
	}
	// ROC on balanced counts.
	tps, fps := cumCounts(rescale(in, 1e5), rescale(out, 1e5))
	if len(fps) > 2 { // drop_intermediate: drop points collinear with both neighbours
		kt, kf := []float64{tps[0]}, []float64{fps[0]}
		for k := 1; k < len(fps)-1; k++ {
			if fps[k+1]-2*fps[k]+fps[k-1] != 0 || tps[k+1]-2*tps[k]+tps[k-1] != 0 {
				kt, kf = append(kt, tps[k]), append(kf, fps[k])
			}
		}
		tps, fps = append(kt, tps[len(tps)-1]), append(kf, fps[len(fps)-1])
	}
	tps, fps = append([]float64{0}, tps...), append([]float64{0}, fps...)
	P, N := tps[len(tps)-1], fps[len(fps)-1]
	area, best := 0.0, math.Inf(1)
	for k := range tps {
		tpr, fpr := tps[k]/P, fps[k]/N
		if k > 0 {
			area += (fpr - fps[k-1]/N) * (tpr + tps[k-1]/P) / 2
		}
		if d := math.Abs(tpr - 0.95); d < best {
			best, m.FPR95 = d, Float(fpr)
		}
	}
	m.AUROC = Float(area)
	// AP on counts rescaled to 1e7 pixels in all.
	rin := float64(sin) / float64(sin+sout)
	tps, fps = cumCounts(rescale(in, 1e7*rin), rescale(out, 1e7*(1-rin)))
	if len(tps) == 0 || tps[len(tps)-1] == 0 {
		return m
	}
	P = tps[len(tps)-1]
	ap, prev := 0.0, 0.0
	for k := range tps {
		r := tps[k] / P
		ap += (r - prev) * tps[k] / (tps[k] + fps[k])
		prev = r
	}
	m.AP = Float(ap)
	return m
}
