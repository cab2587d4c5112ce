package oodeval

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sameFloat(a, b float64) bool {
	return (math.IsNaN(a) && math.IsNaN(b)) || math.Abs(a-b) < 1e-12
}

// TestConfusionMIoU checks IoU = TP/(TP+FP+FN), the mean over present classes and pixel accuracy
// on small hand-computed confusions.
func TestConfusionMIoU(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name     string
		classes  int
		gt, pred []uint8
		iou      []float64
		miou     float64
		inMean   int
		acc      float64
	}{
		{
			// rows (gt) × cols (pred): [2 1 0; 0 1 1; 0 0 1]; the two void pixels are not counted.
			// IoU0 = 2/(3+2−2), IoU1 = 1/(2+2−1), IoU2 = 1/(1+2−1); mean (2/3+1/3+1/2)/3 = 0.5; acc 4/6.
			name: "three classes, void skipped", classes: 3,
			gt:   []uint8{0, 0, 0, 1, 1, 2, 255, 255},
			pred: []uint8{0, 0, 1, 1, 2, 2, 0, 1},
			iou:  []float64{2.0 / 3, 1.0 / 3, 0.5}, miou: 0.5, inMean: 3, acc: 4.0 / 6,
		},
		{
			// Class 2 is neither labelled nor predicted: left out of the mean. Class 3 is only
			// predicted (one false positive): IoU 0, counted. (1/2 + 1 + 0)/3 = 0.5; acc 3/4.
			name: "absent class left out, predicted-only class counts 0", classes: 4,
			gt:   []uint8{0, 0, 1, 1},
			pred: []uint8{0, 3, 1, 1},
			iou:  []float64{0.5, 1, nan, 0}, miou: 0.5, inMean: 3, acc: 0.75,
		},
		{
			// Class 1 is labelled but never predicted: IoU 0. IoU0 = 2/(2+4−2) = 1/2; mean 1/4; acc 2/4.
			name: "labelled-only class counts 0", classes: 2,
			gt:   []uint8{0, 0, 1, 1},
			pred: []uint8{0, 0, 0, 0},
			iou:  []float64{0.5, 0}, miou: 0.25, inMean: 2, acc: 0.5,
		},
		{
			// Predictions on void pixels never count: class 1 is predicted only there, so absent.
			name: "prediction on void only", classes: 2,
			gt:   []uint8{0, 0, 255},
			pred: []uint8{0, 0, 1},
			iou:  []float64{1, nan}, miou: 1, inMean: 1, acc: 1,
		},
		{
			name: "all void", classes: 2,
			gt:   []uint8{255, 255},
			pred: []uint8{0, 1},
			iou:  []float64{nan, nan}, miou: nan, inMean: 0, acc: nan,
		},
	} {
		m := NewConfusion(c.classes)
		m.Add(c.pred, c.gt)
		iou := m.IoU()
		for k := range c.iou {
			if !sameFloat(float64(iou[k]), c.iou[k]) {
				t.Errorf("%s: IoU[%d] = %v, want %v", c.name, k, iou[k], c.iou[k])
			}
		}
		miou, n := m.MIoU()
		if !sameFloat(float64(miou), c.miou) || n != c.inMean {
			t.Errorf("%s: mIoU %v over %d classes, want %v over %d", c.name, miou, n, c.miou, c.inMean)
		}
		if acc := m.PixelAccuracy(); !sameFloat(float64(acc), c.acc) {
			t.Errorf("%s: pixel accuracy %v, want %v", c.name, acc, c.acc)
		}
	}
}

// TestArgmax: planar C×N scores, the first of equal maxima, NaN never wins, only the first c
// channels count.
func TestArgmax(t *testing.T) {
	nan := float32(math.NaN())
	// 4 pixels, 3 channels (the third a "void" channel that must be ignored with c = 2).
	scores := []float32{
		1, 5, nan, 2, // channel 0
		3, 5, 1, nan, // channel 1
		9, 9, 9, 9, // channel 2
	}
	if got, want := Argmax(scores, 2, 4), []uint8{1, 0, 1, 0}; string(got) != string(want) {
		t.Errorf("c=2: %v, want %v", got, want)
	}
	if got, want := Argmax(scores, 3, 4), []uint8{2, 2, 2, 2}; string(got) != string(want) {
		t.Errorf("c=3: %v, want %v", got, want)
	}
}

// TestKnownEvaluator: the folder's confusion is summed over frames (not a mean of per-frame
// mIoUs), labels ≥ C are rejected, and the JSON writes absent classes as null.
func TestKnownEvaluator(t *testing.T) {
	e := NewKnownEvaluator()
	// Frame a (2×1, 2 classes): both pixels class 0, both predicted 0 → frame mIoU 1 (class 1 absent).
	// Frame b: gt [1, 1], predicted [0, 1] → IoU0 0, IoU1 1/2: frame mIoU 1/4.
	// Summed: [2 0; 1 1] → IoU0 = 2/3, IoU1 = 1/2, mIoU 7/12 (the mean of frame mIoUs would be 5/8).
	if err := e.Add("a", []float32{5, 5, 0, 0}, 2, 2, 1, []uint8{0, 0}); err != nil {
		t.Fatal(err)
	}
	if err := e.Add("b", []float32{5, 0, 0, 5}, 2, 2, 1, []uint8{1, 1}); err != nil {
		t.Fatal(err)
	}
	err := e.Add("c", []float32{5, 0, 0, 5}, 2, 2, 1, []uint8{0, 7})
	if !errors.Is(err, ErrLabelValue) || !strings.Contains(err.Error(), "holds 7") {
		t.Errorf("label 7 of a 2-class map: %v", err)
	}
	if err := e.Add("d", []float32{5, 0, 0, 5, 1, 1}, 3, 2, 1, []uint8{0, 1}); !errors.Is(err, ErrInput) {
		t.Errorf("3 classes after 2: %v", err)
	}
	r := e.Result("k", "img", "lab", 4)
	if !sameFloat(float64(r.MIoU), 7.0/12) || r.ClassesInMean != 2 || r.Frames != 2 || r.FramesTotal != 4 || r.Pixels != 4 ||
		!sameFloat(float64(r.PixelAccuracy), 0.75) || r.MapSize != "2x1" || r.Classes != 2 {
		t.Errorf("result %+v", r)
	}
	if f := r.PerFrame; len(f) != 2 || f[0].MIoU != 1 || !sameFloat(float64(f[1].MIoU), 0.25) {
		t.Errorf("per frame %+v", f)
	}
	if r.Confusion[0][0] != 2 || r.Confusion[1][0] != 1 || r.Confusion[1][1] != 1 || r.Confusion[0][1] != 0 {
		t.Errorf("confusion %v", r.Confusion)
	}

	e2 := NewKnownEvaluator()
	if err := e2.Add("a", []float32{5, 5, 0, 0, 0, 0}, 3, 2, 1, []uint8{0, 255}); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(e2.Result("k", "img", "lab", 1))
	if err != nil || !strings.Contains(string(b), `"per_class_iou":[1,null,null]`) || !strings.Contains(string(b), `"miou":1,`) {
		t.Errorf("JSON %s %v", b, err)
	}
	empty, err := json.Marshal(NewKnownEvaluator().Result("k", "img", "lab", 3))
	if err != nil || !strings.Contains(string(empty), `"miou":null`) || !strings.Contains(string(empty), `"per_class_iou":[]`) {
		t.Errorf("no frame done: %s %v", empty, err)
	}
}

// TestReportKnown: eval.md and the summary carry the --known folders; a report with --known only
// has no anomaly tables.
func TestReportKnown(t *testing.T) {
	e := NewKnownEvaluator()
	scores := make([]float32, 19*2)
	scores[0], scores[2*13+1] = 1, 1 // pixel 0 → road, pixel 1 → car
	if err := e.Add("f1", scores, 19, 2, 1, []uint8{0, 0}); err != nil {
		t.Fatal(err)
	}
	r := &Report{Known: []*KnownResult{e.Result("cityscapes", "img", "lab", 1)}}
	md := r.Markdown()
	for _, s := range []string{"## Known classes", "| cityscapes | `img` | `lab` | 1/1 | 2x1 | 2 | 0.250 | 2/19 | 0.500 |",
		"| 0 road | 0.500 |", "| 13 car | 0.000 |", "| 1 sidewalk | – |", "### Frames of cityscapes", "left out"} {
		if !strings.Contains(md, s) {
			t.Errorf("eval.md lacks %q:\n%s", s, md)
		}
	}
	if strings.Contains(md, "Pixel level") || strings.Contains(md, "Overlays") {
		t.Errorf("eval.md of a --known-only run has anomaly tables:\n%s", md)
	}
	dir := t.TempDir()
	if err := r.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileROC)); !os.IsNotExist(err) {
		t.Errorf("roc.png written without datasets: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, FileJSON)); err != nil || !strings.Contains(string(b), `"known": [`) {
		t.Errorf("eval.json: %v\n%s", err, b)
	}
	var sb strings.Builder
	r.Summary(&sb)
	if s := sb.String(); !strings.Contains(s, "cityscapes") || !strings.Contains(s, "0.250") || !strings.Contains(s, "2/19") || strings.Contains(s, "AUROC") {
		t.Errorf("summary:\n%s", s)
	}
}
