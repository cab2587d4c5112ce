package oodeval

import (
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/metaood/metaood/postproc"
)

// Known-class segmentation quality (`metaood eval --known`): did fine-tuning for anomalies cost the
// network its known classes? Labels are train ids: 0…C−1 a class, 255 (Void) not scored.

// CityscapesClasses are the names of the 19 Cityscapes train ids, used in eval.md when C = 19.
var CityscapesClasses = []string{"road", "sidewalk", "building", "wall", "fence", "pole", "traffic light",
	"traffic sign", "vegetation", "terrain", "sky", "person", "rider", "car", "truck", "bus", "train",
	"motorcycle", "bicycle"}

// Confusion is a C×C confusion matrix of labelled pixels: M[gt*C+pred].
type Confusion struct {
	C int
	M []int64
}

// NewConfusion returns an empty c-class matrix.
func NewConfusion(c int) *Confusion { return &Confusion{C: c, M: make([]int64, c*c)} }

// Add counts one frame: pred and gt are per pixel, gt Void pixels are skipped, and every other
// value must be below C (the caller checks gt, e.g. with CheckTrainIDs; pred comes from Argmax).
func (m *Confusion) Add(pred, gt []uint8) {
	for i, g := range gt {
		if g != Void {
			m.M[int(g)*m.C+int(pred[i])]++
		}
	}
}

// Merge adds o's counts (same C) to m.
func (m *Confusion) Merge(o *Confusion) {
	for i, v := range o.M {
		m.M[i] += v
	}
}

// Pixels returns the number of scored pixels.
func (m *Confusion) Pixels() int64 {
	var n int64
	for _, v := range m.M {
		n += v
	}
	return n
}

// IoU returns TP/(TP+FP+FN) per class; NaN (null in JSON) for a class that is neither in the
// ground truth nor predicted on a scored pixel (pixels labelled Void never count, whatever is
// predicted there).
func (m *Confusion) IoU() []Float {
	iou := make([]Float, m.C)
	for k := range m.C {
		var row, col int64 // ground truth k; predicted k
		for j := range m.C {
			row += m.M[k*m.C+j]
			col += m.M[j*m.C+k]
		}
		tp := m.M[k*m.C+k]
		if d := row + col - tp; d > 0 {
			iou[k] = Float(float64(tp) / float64(d))
		} else {
			iou[k] = Float(math.NaN())
		}
	}
	return iou
}

// MIoU returns the mean IoU over the classes present (in the ground truth or the prediction) and
// how many those are; NaN and 0 when none is.
func (m *Confusion) MIoU() (Float, int) {
	sum, n := 0.0, 0
	for _, v := range m.IoU() {
		if !math.IsNaN(float64(v)) {
			sum += float64(v)
			n++
		}
	}
	if n == 0 {
		return Float(math.NaN()), 0
	}
	return Float(sum / float64(n)), n
}

// PixelAccuracy returns the share of scored pixels whose prediction is their label (NaN if none).
func (m *Confusion) PixelAccuracy() Float {
	var tp int64
	for k := range m.C {
		tp += m.M[k*m.C+k]
	}
	if n := m.Pixels(); n > 0 {
		return Float(float64(tp) / float64(n))
	}
	return Float(math.NaN())
}

// Argmax returns, per pixel of a C×H×W planar score map (n = H×W pixels, len(scores) ≥ c×n), the
// index of the largest of the first c scores, the lowest index on ties; NaN scores never win.
// c must be 1…255.
func Argmax(scores []float32, c, n int) []uint8 {
	pred := make([]uint8, n)
	best := make([]float32, n)
	copy(best, scores[:n])
	for k := 1; k < c; k++ {
		plane := scores[k*n : (k+1)*n]
		for i, v := range plane {
			if v > best[i] || (best[i] != best[i] && v == v) {
				best[i], pred[i] = v, uint8(k)
			}
		}
	}
	return pred
}

// ReadTrainIDs reads a train-id label PNG (8-bit gray or paletted) and checks its values against
// classes (see CheckTrainIDs; classes 0 skips the check). Errors name the file.
func ReadTrainIDs(path string, classes int) (labels []uint8, w, h int, err error) {
	labels, w, h, err = postproc.ReadLabelPNG(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, 0, 0, fmt.Errorf("%w: %s: %v", ErrNoLabel, path, err)
		}
		return nil, 0, 0, fmt.Errorf("label %w", err)
	}
	if err := CheckTrainIDs(labels, classes); err != nil {
		return nil, 0, 0, fmt.Errorf("label %s: %w", path, err)
	}
	return labels, w, h, nil
}

// CheckTrainIDs reports a label value that is neither a class 0…classes−1 nor Void (255), e.g.
// Cityscapes label ids (up to 33) given instead of train ids. classes ≤ 0 accepts every value.
func CheckTrainIDs(labels []uint8, classes int) error {
	if classes <= 0 {
		return nil
	}
	var seen [256]bool
	for _, v := range labels {
		seen[v] = true
	}
	for v, ok := range seen {
		if ok && v >= classes && v != Void {
			return fmt.Errorf("%w: holds %d (want train ids 0…%d, 255 = ignore, for a %d-class map; Cityscapes label ids are not train ids — use the *_labelTrainIds.png files, or check --classes)",
				ErrLabelValue, v, classes-1, classes)
		}
	}
	return nil
}

// KnownFrame is one frame's known-class quality.
type KnownFrame struct {
	Name          string `json:"name"`
	Pixels        int64  `json:"pixels"` // scored (non-void) map pixels
	MIoU          Float  `json:"miou"`   // over the classes present in this frame
	PixelAccuracy Float  `json:"pixel_accuracy"`
}

// KnownResult is the known-class quality on one --known folder, from the confusion matrix summed
// over its frames at the map resolution.
type KnownResult struct {
	Name        string `json:"name"`
	Dir         string `json:"dir"`          // images folder
	Labels      string `json:"labels"`       // train-id labels folder
	Frames      int    `json:"frames"`       // frames evaluated
	FramesTotal int    `json:"frames_total"` // labelled frames in the folder (after --limit)
	MapSize     string `json:"map_size"`     // WxH of the maps ("mixed" if they differ)
	Classes     int    `json:"classes"`      // C: the map's channels (--classes), argmax over them
	Pixels      int64  `json:"pixels"`       // scored (non-void) map pixels
	// MIoU is the mean of PerClassIoU over the classes present in the folder (in the ground truth
	// or the prediction): ClassesInMean of Classes.
	MIoU          Float `json:"miou"`
	ClassesInMean int   `json:"classes_in_miou"`
	PixelAccuracy Float `json:"pixel_accuracy"`
	// PerClassIoU is TP/(TP+FP+FN) of each class 0…C−1; null for a class absent from both the
	// ground truth and the prediction.
	PerClassIoU []Float      `json:"per_class_iou"`
	Confusion   [][]int64    `json:"confusion"` // [ground truth][prediction] pixel counts
	PerFrame    []KnownFrame `json:"per_frame"`
}

// KnownEvaluator accumulates the confusion matrix of a --known folder frame by frame.
type KnownEvaluator struct {
	conf    *Confusion
	frames  []KnownFrame
	mapSize string
	mixed   bool
}

// NewKnownEvaluator returns an evaluator; the class count is taken from the first frame.
func NewKnownEvaluator() *KnownEvaluator { return &KnownEvaluator{} }

// Add scores one frame: scores is the C×H×W planar map (logits or probabilities: the argmax is
// the same), labels the H×W train ids at the map size. A label value ≥ C other than Void, or a
// frame whose C differs from the first one's, is an error.
func (e *KnownEvaluator) Add(name string, scores []float32, c, w, h int, labels []uint8) error {
	n := w * h
	switch {
	case c < 2 || c > 255 || w <= 0 || h <= 0 || len(scores) != c*n:
		return fmt.Errorf("%w: frame %s: %d scores for a %d-class %dx%d map", ErrInput, name, len(scores), c, w, h)
	case len(labels) != n:
		return fmt.Errorf("%w: frame %s: %d labels for a %dx%d map", ErrInput, name, len(labels), w, h)
	case e.conf != nil && e.conf.C != c:
		return fmt.Errorf("%w: frame %s has %d classes, the first frame %d", ErrInput, name, c, e.conf.C)
	}
	if err := CheckTrainIDs(labels, c); err != nil {
		return fmt.Errorf("frame %s: %w", name, err)
	}
	if e.conf == nil {
		e.conf = NewConfusion(c)
	}
	fc := NewConfusion(c)
	fc.Add(Argmax(scores, c, n), labels)
	e.conf.Merge(fc)
	miou, _ := fc.MIoU()
	e.frames = append(e.frames, KnownFrame{Name: name, Pixels: fc.Pixels(), MIoU: miou, PixelAccuracy: fc.PixelAccuracy()})
	size := fmt.Sprintf("%dx%d", w, h)
	if e.mapSize == "" {
		e.mapSize = size
	} else if e.mapSize != size {
		e.mixed = true
	}
	return nil
}

// Result computes the folder's measures over the frames added so far.
func (e *KnownEvaluator) Result(name, dir, labels string, total int) *KnownResult {
	r := &KnownResult{Name: name, Dir: dir, Labels: labels, Frames: len(e.frames), FramesTotal: total,
		MapSize: e.mapSize, PerFrame: e.frames, MIoU: Float(math.NaN()), PixelAccuracy: Float(math.NaN()),
		PerClassIoU: []Float{}, Confusion: [][]int64{}}
	if e.mixed {
		r.MapSize = "mixed"
	}
	if r.PerFrame == nil {
		r.PerFrame = []KnownFrame{}
	}
	if e.conf == nil {
		return r
	}
	r.Classes, r.Pixels = e.conf.C, e.conf.Pixels()
	r.MIoU, r.ClassesInMean = e.conf.MIoU()
	r.PixelAccuracy, r.PerClassIoU = e.conf.PixelAccuracy(), e.conf.IoU()
	for k := range e.conf.C {
		r.Confusion = append(r.Confusion, e.conf.M[k*e.conf.C:(k+1)*e.conf.C])
	}
	return r
}
