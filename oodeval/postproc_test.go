package oodeval

import (
	"math/rand/v2"
	"testing"

	"github.com/metaood/metaood/postproc"
)

// TestAgreesWithPostproc: on a random map with anomalies and void, the counts oodeval derives from
// the component map match postproc's own labels: components, false components (iou0 = 1), GT
// instances (8-connected components of label 1) and those with a predicted pixel (iou0 = 0).
func TestAgreesWithPostproc(t *testing.T) {
	const c, w, h = 3, 60, 40
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]float32, c*w*h)
	labels := make([]uint8, w*h)
	uncertain := make([]bool, w*h)
	blobs := func(n int, f func(i int)) {
		for range n {
			x0, y0, bw, bh := rng.IntN(w), rng.IntN(h), 1+rng.IntN(8), 1+rng.IntN(5)
			for y := y0; y < min(h, y0+bh); y++ {
				for x := x0; x < min(w, x0+bw); x++ {
					f(y*w + x)
				}
			}
		}
	}
	blobs(8, func(i int) {
		labels[i] = Anomaly
		uncertain[i] = i%3 == 0 // partly detected
	})
	blobs(14, func(i int) { uncertain[i] = true })
	for i := range uncertain {
		if rng.IntN(40) == 0 {
			uncertain[i] = true
		}
		if i >= w*(h-5) {
			labels[i] = Void
		}
	}
	for i := range w * h {
		p := []float32{0.98, 0.01, 0.01}
		if uncertain[i] {
			p = []float32{0.34, 0.33, 0.33}
		}
		for k := range c {
			data[k*w*h+i] = p[k]
		}
	}
	proc := postproc.New(postproc.Options{Threshold: 0.7, OODLabel: Anomaly, IgnoreLabel: Void})
	res, err := proc.Process(postproc.Input{C: c, H: h, W: w, Data: data, GT: labels})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	kept := make([]bool, len(res.Components))
	for k := range kept {
		kept[k] = k%2 == 0
	}
	e := NewEvaluator(SizeFilter{})
	st, err := e.Add(FrameInput{Name: "r", W: w, H: h, Score: res.Entropy, Labels: labels, Threshold: 0.7, Components: res.Labels, Kept: kept})
	if err != nil {
		t.Fatal(err)
	}
	falsePP, hitPP := 0, 0
	for _, v := range res.IoU0 {
		falsePP += int(v)
	}
	for _, g := range res.GTComponents {
		if g.IoU0 == 0 {
			hitPP++
		}
	}
	if st.Components != len(res.Components) || st.FalseComponents != falsePP || st.Instances != len(res.GTComponents) || st.InstancesHitMask != hitPP {
		t.Errorf("oodeval: %d components, %d false, %d instances, %d hit; postproc: %d, %d, %d, %d",
			st.Components, st.FalseComponents, st.Instances, st.InstancesHitMask, len(res.Components), falsePP, len(res.GTComponents), hitPP)
	}
	if r := e.Result("r", "", 1); r.Before.Components != len(res.Components) || st.Components < 5 || hitPP == 0 || falsePP == 0 {
		t.Errorf("%d SMIYC components before, %d postproc components (%d false, %d instances hit): want several of each",
			r.Before.Components, len(res.Components), falsePP, hitPP)
	}
}
