package segmodel

import (
	"math"
	"sync"
)

// EvalReport is what Evaluate measures on labelled images.
type EvalReport struct {
	Known, Correct int                   // scored known-class pixels, of which argmax = label
	Accuracy       float64               // Correct / Known
	ClassPixels    [Classes]int          // known pixels per true class
	ClassCorrect   [Classes]int          // of which correct
	Anomaly        int                   // scored LabelUniform pixels
	EntropyKnown   float64               // mean normalised entropy on known pixels
	EntropyAnomaly float64               // mean normalised entropy on LabelUniform pixels (NaN if none)
	Confusion      [Classes][Classes]int // [true][predicted] on known pixels
	// KnownAbove and AnomalyAbove count pixels whose normalised entropy is ≥ EntropyThreshold
	// (the pipeline's default anomaly threshold): false and true positive pixels.
	KnownAbove, AnomalyAbove int
}

// EntropyThreshold is the default anomaly threshold on normalised entropy (docs/METHOD.md §2), used for
// the pixel-level counts in EvalReport.
const EntropyThreshold = 0.7

// Evaluate runs n over every image of ds (Go reference forward pass) and scores every
// stride-th pixel in each direction (stride ≤ 1: all): pixel accuracy on known classes and
// the mean normalised entropy on known versus LabelUniform (anomaly) pixels.
func Evaluate(n *Net, ds Dataset, stride, workers int) (*EvalReport, error) {
	if err := n.check(); err != nil {
		return nil, err
	}
	stride = max(stride, 1)
	parts := make([]EvalReport, ds.Len())
	errs := make([]error, ds.Len())
	entK, entA := make([]float64, ds.Len()), make([]float64, ds.Len())
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var img Image
			var f Features
			var rgb []float32
			x := make([]float32, NumFeatures)
			out := make([]float32, Classes)
			sc := n.newScratch()
			for k := range next {
				var err error
				if rgb, err = imageFeatures(ds, k, &img, rgb, &f); err != nil {
					errs[k] = err
					continue
				}
				r := &parts[k]
				for i := stride / 2; i < img.H; i += stride {
					for j := stride / 2; j < img.W; j += stride {
						l := img.GT[i*img.W+j]
						if l >= Classes && l != LabelUniform {
							continue
						}
						f.At(i, j, x)
						n.pixel(x, out, sc)
						e := NormalizedEntropy(out)
						above := e >= EntropyThreshold
						if l == LabelUniform {
							r.Anomaly++
							if above {
								r.AnomalyAbove++
							}
							entA[k] += e
							continue
						}
						pred := argmax(out)
						r.Known++
						if above {
							r.KnownAbove++
						}
						r.ClassPixels[l]++
						r.Confusion[l][pred]++
						if pred == int(l) {
							r.Correct++
							r.ClassCorrect[l]++
						}
						entK[k] += e
					}
				}
			}
		}()
	}
	for k := range ds.Len() {
		next <- k
	}
	close(next)
	wg.Wait()
	var rep EvalReport
	var sumK, sumA float64
	for k := range parts {
		if errs[k] != nil {
			return nil, errs[k]
		}
		p := &parts[k]
		rep.Known += p.Known
		rep.Correct += p.Correct
		rep.Anomaly += p.Anomaly
		rep.KnownAbove += p.KnownAbove
		rep.AnomalyAbove += p.AnomalyAbove
		for c := range Classes {
			rep.ClassPixels[c] += p.ClassPixels[c]
			rep.ClassCorrect[c] += p.ClassCorrect[c]
			for d := range Classes {
				rep.Confusion[c][d] += p.Confusion[c][d]
			}
		}
		sumK += entK[k]
		sumA += entA[k]
	}
	rep.Accuracy = float64(rep.Correct) / float64(rep.Known)
	rep.EntropyKnown = sumK / float64(rep.Known)
	rep.EntropyAnomaly = math.NaN()
	if rep.Anomaly > 0 {
		rep.EntropyAnomaly = sumA / float64(rep.Anomaly)
	}
	return &rep, nil
}

// NormalizedEntropy is −Σ p log p / log C of softmax(logits), in [0,1].
func NormalizedEntropy(logits []float32) float64 {
	m := logits[argmax(logits)]
	var sum, sx float64
	for _, v := range logits {
		d := float64(v - m)
		e := math.Exp(d)
		sum += e
		sx += e * d
	}
	// H = log Σe^d − Σ e^d·d / Σ e^d.
	return (math.Log(sum) - sx/sum) / math.Log(float64(len(logits)))
}
