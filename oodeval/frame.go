package oodeval

import (
	"fmt"
	"math"
	"slices"
)

// FrameInput is one evaluated frame at map resolution: the anomaly score and labels per pixel, and
// the components of the entropy mask with the meta classifier's decisions (postproc.Result.Labels,
// which marks component k with ±k, and kept[k-1]).
type FrameInput struct {
	Name       string
	W, H       int
	Score      []float32 // normalized entropy per pixel
	Labels     []uint8   // 0 known, 1 anomaly, 255 void
	Threshold  float32   // the entropy mask is Score ≥ Threshold
	Components []int32   // per pixel ±k for component k (1-based), 0 elsewhere
	Kept       []bool    // per component: kept by the meta classifier
}

func (in *FrameInput) validate() error {
	n := in.W * in.H
	if in.W <= 0 || in.H <= 0 || len(in.Score) != n || len(in.Labels) != n || len(in.Components) != n {
		return fmt.Errorf("%w: frame %s: %dx%d map with %d scores, %d labels, %d component pixels", ErrInput, in.Name, in.W, in.H, len(in.Score), len(in.Labels), len(in.Components))
	}
	for _, c := range in.Components {
		if c > int32(len(in.Kept)) || -c > int32(len(in.Kept)) {
			return fmt.Errorf("%w: frame %s: component %d but %d kept flags", ErrInput, in.Name, c, len(in.Kept))
		}
	}
	return nil
}

// FrameStats are the per-frame numbers of the report.
type FrameStats struct {
	Name                string `json:"name"`
	Instances           int    `json:"instances"`             // GT anomaly instances (after InstSize)
	InstancesHitMask    int    `json:"instances_hit_mask"`    // … with a pixel of entropy ≥ threshold
	InstancesHitKept    int    `json:"instances_hit_kept"`    // … with a pixel in a kept component
	MaskPixels          int    `json:"mask_pixels"`           // pixels with entropy ≥ threshold, void excluded
	Components          int    `json:"components"`            // components of the entropy mask (void removed)
	FalseComponents     int    `json:"false_components"`      // … with no anomaly pixel (iou0 = 1)
	KeptComponents      int    `json:"kept_components"`       // … kept by the meta classifier
	KeptFalseComponents int    `json:"kept_false_components"` // kept, with no anomaly pixel
	AnomalyPixels       int    `json:"anomaly_pixels"`        // label 1
	KnownPixels         int    `json:"known_pixels"`          // label 0
	PixelAP             Float  `json:"pixel_ap"`              // null without anomaly pixels
	PixelAUROC          Float  `json:"pixel_auroc"`           // null without pixels of both classes
	SIoUMeanBefore      Float  `json:"siou_gt_mean_before"`   // mean sIoU of the GT instances, entropy mask
	SIoUMeanAfter       Float  `json:"siou_gt_mean_after"`    // … kept components
	PPVMeanBefore       Float  `json:"ppv_mean_before"`       // mean PPV of the mask's components
	PPVMeanAfter        Float  `json:"ppv_mean_after"`        // … of the kept components
	// At the dataset's FPR95 threshold (the pooled score at which 95 % of all anomaly pixels are
	// flagged): this frame's known pixels flagged, whose sum over the frames is the FPR95's
	// numerator, and its anomaly pixels left below it. They say which frames decide FPR95.
	KnownFlaggedAtTPR95  int `json:"known_px_flagged_at_tpr95"`
	AnomalyMissedAtTPR95 int `json:"anomaly_px_missed_at_tpr95"`
}

// Evaluator accumulates the frames of one dataset. It is not safe for concurrent use.
type Evaluator struct {
	filter        SizeFilter
	pixels        PixelScores
	before, after SegmentAccumulator
	frames        []FrameStats
	ranges        []pixelRange // where each frame's keys sit in pixels.pos and pixels.neg, until they are sorted
	w, h          int          // map size of the first frame
	mixed         bool         // frames of different map sizes
}

// NewEvaluator returns an Evaluator with the size filters of the component metrics.
func NewEvaluator(f SizeFilter) *Evaluator { return &Evaluator{filter: f} }

// Add evaluates one frame and pools it; it returns the frame's numbers.
func (e *Evaluator) Add(in FrameInput) (FrameStats, error) {
	if err := in.validate(); err != nil {
		return FrameStats{}, err
	}
	var px PixelScores
	if err := px.Add(in.Score, in.Labels); err != nil {
		return FrameStats{}, fmt.Errorf("frame %s: %w", in.Name, err)
	}
	pm := px.Metrics()
	st := FrameStats{Name: in.Name, AnomalyPixels: pm.Positives, KnownPixels: pm.Negatives, PixelAP: pm.AP, PixelAUROC: pm.AUROC}
	r := pixelRange{pos0: len(e.pixels.pos), neg0: len(e.pixels.neg)}
	e.pixels.Merge(&px)
	r.pos1, r.neg1 = len(e.pixels.pos), len(e.pixels.neg)
	e.ranges = append(e.ranges, r)
	if len(e.frames) == 0 {
		e.w, e.h = in.W, in.H
	} else if in.W != e.w || in.H != e.h {
		e.mixed = true
	}

	g := gtInstances(in.Labels, in.W, in.H, e.filter.InstSize)
	mask := make([]bool, len(in.Score))
	kept := make([]bool, len(in.Score))
	for i, s := range in.Score {
		mask[i] = s >= in.Threshold
		if mask[i] && in.Labels[i] != Void {
			st.MaskPixels++
		}
		if c := abs32(in.Components[i]); c != 0 {
			kept[i] = in.Kept[c-1]
		}
	}
	b := segmentScores(in.Labels, g, mask, in.W, in.H, e.filter.SegSize)
	a := segmentScores(in.Labels, g, kept, in.W, in.H, e.filter.SegSize)
	e.before.Add(b)
	e.after.Add(a)
	st.SIoUMeanBefore, st.SIoUMeanAfter = mean(b.SIoUGT), mean(a.SIoUGT)
	st.PPVMeanBefore, st.PPVMeanAfter = mean(b.PrecPred), mean(a.PrecPred)

	// Instances touched by the mask and by kept components.
	st.Instances = g.n
	hitM, hitK := make([]bool, g.n+1), make([]bool, g.n+1)
	for i, k := range g.lab {
		if k != 0 {
			hitM[k] = hitM[k] || mask[i]
			hitK[k] = hitK[k] || kept[i]
		}
	}
	for k := 1; k <= g.n; k++ {
		st.InstancesHitMask += b2i(hitM[k])
		st.InstancesHitKept += b2i(hitK[k])
	}
	// Components with and without anomaly pixels (postproc's iou0).
	onAnomaly := make([]bool, len(in.Kept))
	present := make([]bool, len(in.Kept))
	for i, c := range in.Components {
		if c = abs32(c); c != 0 {
			present[c-1] = true
			onAnomaly[c-1] = onAnomaly[c-1] || in.Labels[i] == Anomaly
		}
	}
	for k, p := range present {
		if !p {
			continue
		}
		st.Components++
		st.KeptComponents += b2i(in.Kept[k])
		if !onAnomaly[k] {
			st.FalseComponents++
			st.KeptFalseComponents += b2i(in.Kept[k])
		}
	}
	e.frames = append(e.frames, st)
	return st, nil
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// pixelRange is a frame's share of the pooled keys: pos[pos0:pos1] and neg[neg0:neg1].
type pixelRange struct{ pos0, pos1, neg0, neg1 int }

// attributeFPR95 fills each frame's pixel counts at the dataset's FPR95 threshold. It must run
// before the pooled keys are sorted (which loses the frames' ranges); later calls keep what the
// first found. The threshold is the score of the ⌈0.95·P⌉-th highest anomaly pixel: the first one,
// from the highest down, where the TPR reaches 0.95, as PixelMetrics.FPR95 defines it.
func (e *Evaluator) attributeFPR95() {
	if e.pixels.sorted || len(e.ranges) != len(e.frames) || len(e.pixels.pos) == 0 {
		return
	}
	pos := slices.Clone(e.pixels.pos)
	slices.Sort(pos)
	np := float64(len(pos))
	m := int(math.Ceil(0.95 * np))
	for m > 1 && float64(m-1)/np >= 0.95 { // the smallest count whose TPR is ≥ 0.95 in float64
		m--
	}
	for float64(m)/np < 0.95 {
		m++
	}
	thr := pos[len(pos)-m]
	for i, r := range e.ranges {
		f := &e.frames[i]
		f.KnownFlaggedAtTPR95, f.AnomalyMissedAtTPR95 = 0, 0
		for _, k := range e.pixels.neg[r.neg0:r.neg1] {
			f.KnownFlaggedAtTPR95 += b2i(k >= thr)
		}
		for _, k := range e.pixels.pos[r.pos0:r.pos1] {
			f.AnomalyMissedAtTPR95 += b2i(k < thr)
		}
	}
}

// Frames returns the number of frames added.
func (e *Evaluator) Frames() int { return len(e.frames) }

// Pixels returns the pooled pixel scores (for curves).
func (e *Evaluator) Pixels() *PixelScores { return &e.pixels }

// InstanceRecall counts the GT instances touched by the entropy mask and by kept components.
type InstanceRecall struct {
	Instances   int   `json:"instances"`
	HitMask     int   `json:"hit_mask"`
	HitKept     int   `json:"hit_kept"`
	HitMaskRate Float `json:"hit_mask_fraction"`
	HitKeptRate Float `json:"hit_kept_fraction"`
}

// FalseAlarms counts components without an anomaly pixel, before and after the meta classifier.
type FalseAlarms struct {
	Components             int   `json:"components"`
	FalseComponents        int   `json:"false_components"`
	KeptComponents         int   `json:"kept_components"`
	KeptFalseComponents    int   `json:"kept_false_components"`
	FalsePerFrame          Float `json:"false_components_per_frame"`
	KeptFalsePerFrame      Float `json:"kept_false_components_per_frame"`
	KeptTrueComponents     int   `json:"kept_true_components"`
	RemovedTrueComponents  int   `json:"removed_true_components"`
	RemovedFalseComponents int   `json:"removed_false_components"`
}

// DatasetResult is the evaluation of one dataset folder.
type DatasetResult struct {
	Name        string         `json:"name"`
	Dir         string         `json:"dir"`
	Frames      int            `json:"frames"`       // frames evaluated
	FramesTotal int            `json:"frames_total"` // frames in the folder (after --limit)
	MapSize     string         `json:"map_size"`     // WxH of the maps ("mixed" if they differ)
	Pixel       PixelMetrics   `json:"pixel"`
	PixelRef    RefMetrics     `json:"pixel_reference_100bins"`
	Before      SegmentMetrics `json:"components_before"` // all components of the entropy mask
	After       SegmentMetrics `json:"components_after"`  // the components the meta classifier keeps
	Recall      InstanceRecall `json:"instance_recall"`
	FalseAlarms FalseAlarms    `json:"false_alarms"`
	PerFrame    []FrameStats   `json:"per_frame"`

	curve Curve // thinned ROC and PR curves for the plots
}

// curvePoints is about how many points of each curve the plots get.
const curvePoints = 1000

// Result computes the dataset's measures over the frames added so far.
func (e *Evaluator) Result(name, dir string, total int) *DatasetResult {
	e.attributeFPR95()
	r := &DatasetResult{Name: name, Dir: dir, Frames: len(e.frames), FramesTotal: total,
		Pixel: e.pixels.Metrics(), PixelRef: e.pixels.Reference(),
		Before: e.before.Metrics(), After: e.after.Metrics(), PerFrame: e.frames}
	if r.PerFrame == nil {
		r.PerFrame = []FrameStats{}
	}
	switch {
	case e.mixed:
		r.MapSize = "mixed"
	case len(e.frames) > 0:
		r.MapSize = fmt.Sprintf("%dx%d", e.w, e.h)
	}
	r.curve = e.pixels.Curve(curvePoints)
	fa := &r.FalseAlarms
	for _, f := range e.frames {
		r.Recall.Instances += f.Instances
		r.Recall.HitMask += f.InstancesHitMask
		r.Recall.HitKept += f.InstancesHitKept
		fa.Components += f.Components
		fa.FalseComponents += f.FalseComponents
		fa.KeptComponents += f.KeptComponents
		fa.KeptFalseComponents += f.KeptFalseComponents
	}
	r.Recall.HitMaskRate = ratio(r.Recall.HitMask, r.Recall.Instances)
	r.Recall.HitKeptRate = ratio(r.Recall.HitKept, r.Recall.Instances)
	fa.FalsePerFrame = ratio(fa.FalseComponents, len(e.frames))
	fa.KeptFalsePerFrame = ratio(fa.KeptFalseComponents, len(e.frames))
	fa.KeptTrueComponents = fa.KeptComponents - fa.KeptFalseComponents
	fa.RemovedFalseComponents = fa.FalseComponents - fa.KeptFalseComponents
	fa.RemovedTrueComponents = (fa.Components - fa.FalseComponents) - fa.KeptTrueComponents
	return r
}
