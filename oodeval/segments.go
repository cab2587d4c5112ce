package oodeval

// SizeFilter holds the size thresholds of SMIYC's default_instancer (docs/METHOD.md §8): predicted
// components smaller than SegSize pixels are deleted and ground-truth instances smaller than
// InstSize pixels become void. 0 keeps everything. SMIYC uses SegSize 500 / InstSize 100
// (AnomalyTrack) and 50 / 10 (ObstacleTrack) at the datasets' full resolution; at a 1024×512 map
// the equivalent sizes are several times smaller, hence the default 0.
type SizeFilter struct {
	SegSize  int `json:"segsize"`
	InstSize int `json:"instsize"`
}

// instances are the ground-truth anomaly instances of one frame.
type instances struct {
	lab  []int32 // per pixel: instance 1…n, 0 none
	n    int
	size []int  // per instance (index 0 unused)
	roi  []bool // per pixel: scored (label 0 or 1) and not on an instance deleted by InstSize
}

// gtInstances labels the anomaly pixels 8-connected, turns instances under instSize into void and
// numbers the others 1…n in row-major order of their first pixel.
func gtInstances(labels []uint8, w, h, instSize int) instances {
	on := make([]bool, len(labels))
	for i, l := range labels {
		on[i] = l == Anomaly
	}
	lab, n := label8(on, w, h)
	sz := sizes(lab, n)
	renum := make([]int32, n+1)
	g := instances{size: []int{0}}
	for k := 1; k <= n; k++ {
		if sz[k] >= instSize {
			g.n++
			renum[k] = int32(g.n)
			g.size = append(g.size, sz[k])
		}
	}
	g.roi = make([]bool, len(labels))
	for i, l := range lab {
		lab[i] = renum[l]
		g.roi[i] = labels[i] != Void && (l == 0 || renum[l] != 0)
	}
	g.lab = lab
	return g
}

// SegmentScores are SMIYC's per-instance scores of one frame (segment_metrics): sIoU of every
// ground-truth instance; sIoU and PPV (share of its pixels on anomalies) of every predicted
// component with a pixel in the region of interest.
type SegmentScores struct {
	SIoUGT   []float64
	SIoUPred []float64
	PrecPred []float64
}

// segmentScores computes SMIYC's scores of a predicted mask against the instances g: predictions on
// void are removed, the rest labelled 8-connected, components under segSize deleted, and only ROI
// pixels counted.
func segmentScores(labels []uint8, g instances, pred []bool, w, h, segSize int) SegmentScores {
	on := make([]bool, len(pred))
	for i, p := range pred {
		on[i] = p && labels[i] != Void
	}
	plab, np := label8(on, w, h)
	psz := sizes(plab, np)
	type pair struct{ g, p int32 }
	inter := map[pair]int{}
	predSize := make([]int, np+1)
	for i, p := range plab {
		if p == 0 || !g.roi[i] || psz[p] < segSize {
			continue
		}
		predSize[p]++
		if gi := g.lab[i]; gi != 0 {
			inter[pair{gi, p}]++
		}
	}
	predOnGT := make([]int, np+1)   // |k̂ ∩ G|
	gtCovered := make([]int, g.n+1) // |k ∩ P|
	byGT := make([][]pair, g.n+1)
	byPred := make([][]pair, np+1)
	for pr, c := range inter {
		predOnGT[pr.p] += c
		gtCovered[pr.g] += c
		byGT[pr.g] = append(byGT[pr.g], pr)
		byPred[pr.p] = append(byPred[pr.p], pr)
	}
	var s SegmentScores
	for k := 1; k <= g.n; k++ {
		pHat, adj := 0, 0 // |P̂(k)|, |P̂(k) ∩ (G \ k)|
		for _, pr := range byGT[k] {
			pHat += predSize[pr.p]
			adj += predOnGT[pr.p] - inter[pr]
		}
		in := gtCovered[k]
		s.SIoUGT = append(s.SIoUGT, float64(in)/float64(pHat+g.size[k]-in-adj))
	}
	for p := 1; p <= np; p++ {
		if predSize[p] == 0 {
			continue
		}
		gHat, adj := 0, 0
		for _, pr := range byPred[p] {
			gHat += g.size[pr.g]
			adj += gtCovered[pr.g] - inter[pr]
		}
		in := predOnGT[p]
		s.SIoUPred = append(s.SIoUPred, float64(in)/float64(gHat+predSize[p]-in-adj))
		s.PrecPred = append(s.PrecPred, float64(in)/float64(predSize[p]))
	}
	return s
}

// Taus returns the sIoU/PPV thresholds of SMIYC's F1: numpy.linspace(0.25, 0.75, 11), bit for bit.
func Taus() []float64 {
	t := make([]float64, 11)
	for k := range t {
		t[k] = float64(float64(k)*0.05) + 0.25 // the conversion keeps x*y+z from fusing
	}
	t[10] = 0.75
	return t
}

// SegmentsAt are the summed counts at one threshold τ.
type SegmentsAt struct {
	Tau Float `json:"tau"`
	TP  int   `json:"tp"` // GT instances with sIoU ≥ τ
	FN  int   `json:"fn"` // GT instances with sIoU < τ
	FP  int   `json:"fp"` // predicted components with PPV < τ
	F1  Float `json:"f1"` // 2TP / (2TP + FN + FP)
}

// SegmentMetrics are SMIYC's component-level measures of a dataset: means over all GT instances
// and all predicted components, counts summed over frames, F1 per τ and its mean over the 11 τ.
type SegmentMetrics struct {
	GTInstances int          `json:"gt_instances"`
	Components  int          `json:"components"`
	SIoUGT      Float        `json:"siou_gt"`
	SIoUPred    Float        `json:"siou_pred"`
	PPV         Float        `json:"ppv"` // SMIYC's prec_pred
	F1Mean      Float        `json:"f1_mean"`
	PerTau      []SegmentsAt `json:"per_tau"`
}

// SegmentAccumulator pools SegmentScores over frames. The zero value is ready to use.
type SegmentAccumulator struct{ all SegmentScores }

// Add adds one frame's scores.
func (a *SegmentAccumulator) Add(s SegmentScores) {
	a.all.SIoUGT = append(a.all.SIoUGT, s.SIoUGT...)
	a.all.SIoUPred = append(a.all.SIoUPred, s.SIoUPred...)
	a.all.PrecPred = append(a.all.PrecPred, s.PrecPred...)
}

// Metrics summarises the frames added (NaN where a count is 0).
func (a *SegmentAccumulator) Metrics() SegmentMetrics {
	s := a.all
	m := SegmentMetrics{GTInstances: len(s.SIoUGT), Components: len(s.PrecPred),
		SIoUGT: mean(s.SIoUGT), SIoUPred: mean(s.SIoUPred), PPV: mean(s.PrecPred)}
	sum := 0.0
	for _, t := range Taus() {
		c := SegmentsAt{Tau: Float(t)}
		for _, v := range s.SIoUGT {
			if v >= t {
				c.TP++
			} else {
				c.FN++
			}
		}
		for _, v := range s.PrecPred {
			if v < t {
				c.FP++
			}
		}
		c.F1 = ratio(2*c.TP, 2*c.TP+c.FN+c.FP)
		sum += float64(c.F1)
		m.PerTau = append(m.PerTau, c)
	}
	m.F1Mean = Float(sum / float64(len(m.PerTau)))
	return m
}

func mean(v []float64) Float {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return Float(s / float64(len(v))) // NaN for none
}
