package oodeval

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goodFrame is gridGood as an evaluated frame: entropy 0.9 on predicted pixels, 0.1 elsewhere;
// components numbered as postproc does (P1 the 7-pixel one, P2 the pair at the bottom, boundary
// pixels negative); the meta classifier keeps P1 and removes P2.
func goodFrame(t *testing.T, name string) FrameInput {
	t.Helper()
	labels, pred, w, h := parseGrid(gridGood)
	in := FrameInput{Name: name, W: w, H: h, Labels: labels, Threshold: 0.7, Kept: []bool{true, false}}
	in.Score = make([]float32, w*h)
	for i, p := range pred {
		in.Score[i] = 0.1
		if p {
			in.Score[i] = 0.9
		}
	}
	on := make([]bool, len(pred))
	for i := range pred {
		on[i] = pred[i] && labels[i] != Void
	}
	lab, n := label8(on, w, h)
	if n != 2 {
		t.Fatalf("%d components", n)
	}
	in.Components = lab
	in.Components[2*w+1] = -1 // a boundary pixel: the sign does not matter
	return in
}

// TestEvaluatorByHand: gridGood with the meta classifier keeping P1 only.
//
//	instances A (8 px), B (1 px): the mask touches A; the kept P1 touches A.
//	components P1 (on A), P2 (no anomaly pixel: false); kept P1; kept false 0.
//	after: sIoU(A) = 6/9, sIoU(B) = 0, PPV(P1) = 6/7 → F1 = 2/3 for τ ≤ 0.65, 0 above; mean 6/11.
//	pixels: anomaly 6 at 0.9 + 3 at 0.1, known 3 at 0.9 + 48 at 0.1:
//	AUROC = (6·48 + ½·6·3 + ½·3·48) / (9·51) = 369/459; AP = (6/9)(6/9) + (3/9)(9/60).
func TestEvaluatorByHand(t *testing.T) {
	e := NewEvaluator(SizeFilter{})
	st, err := e.Add(goodFrame(t, "f1"))
	if err != nil {
		t.Fatal(err)
	}
	want := FrameStats{Name: "f1", Instances: 2, InstancesHitMask: 1, InstancesHitKept: 1, MaskPixels: 9, Components: 2, FalseComponents: 1,
		KeptComponents: 1, KeptFalseComponents: 0, AnomalyPixels: 9, KnownPixels: 51}
	got := st
	got.PixelAP, got.PixelAUROC, got.SIoUMeanBefore, got.SIoUMeanAfter, got.PPVMeanBefore, got.PPVMeanAfter = 0, 0, 0, 0, 0, 0
	if got != want {
		t.Errorf("frame stats %+v\nwant %+v", got, want)
	}
	if !near(st.PixelAUROC, 369.0/459) || !near(st.PixelAP, 6.0/9*6/9+3.0/9*9/60) || !near(st.SIoUMeanAfter, 1.0/3) || !near(st.PPVMeanAfter, 6.0/7) ||
		!near(st.PPVMeanBefore, 6.0/14) {
		t.Errorf("frame measures %+v", st)
	}
	if _, err := e.Add(goodFrame(t, "f2")); err != nil {
		t.Fatal(err)
	}
	r := e.Result("good", "dir", 3)
	if r.Frames != 2 || r.FramesTotal != 3 || r.MapSize != "10x6" || len(r.PerFrame) != 2 {
		t.Errorf("result %+v", r)
	}
	if r.Recall != (InstanceRecall{Instances: 4, HitMask: 2, HitKept: 2, HitMaskRate: 0.5, HitKeptRate: 0.5}) {
		t.Errorf("recall %+v", r.Recall)
	}
	fa := r.FalseAlarms
	if fa.Components != 4 || fa.FalseComponents != 2 || fa.KeptFalseComponents != 0 || fa.FalsePerFrame != 1 ||
		fa.KeptFalsePerFrame != 0 || fa.RemovedFalseComponents != 2 || fa.RemovedTrueComponents != 0 || fa.KeptTrueComponents != 2 {
		t.Errorf("false alarms %+v", fa)
	}
	if !near(r.After.F1Mean, 6.0/11) || !near(r.Before.F1Mean, 0.5*9/11) || r.After.Components != 2 || r.Before.Components != 4 {
		t.Errorf("after %+v\nbefore %+v", r.After, r.Before)
	}
	if !near(r.Pixel.AUROC, 369.0/459) || r.Pixel.Positives != 18 {
		t.Errorf("pixel %+v", r.Pixel)
	}
}

func TestEvaluatorBadInput(t *testing.T) {
	in := goodFrame(t, "bad")
	in.Kept = in.Kept[:1]
	if _, err := NewEvaluator(SizeFilter{}).Add(in); !errors.Is(err, ErrInput) {
		t.Errorf("component 2 with one kept flag: %v", err)
	}
	in = goodFrame(t, "bad")
	in.Score = in.Score[1:]
	if _, err := NewEvaluator(SizeFilter{}).Add(in); !errors.Is(err, ErrInput) {
		t.Errorf("short score map: %v", err)
	}
}

// TestReportFiles writes a report of two datasets (one empty, as after an early Ctrl-C) and reads
// the JSON back.
func TestReportFiles(t *testing.T) {
	dir := t.TempDir()
	e := NewEvaluator(SizeFilter{})
	in := goodFrame(t, "f1")
	if _, err := e.Add(in); err != nil {
		t.Fatal(err)
	}
	r := &Report{Model: ModelInfo{Path: "m.onnx", SHA256: "ab"}, Classifier: ClassifierInfo{Path: "built-in", Kind: "mlp", Threshold: 0.5},
		Threshold: 0.7, MapSize: "10x6", Datasets: []*DatasetResult{e.Result("good", "d", 1), NewEvaluator(SizeFilter{}).Result("none", "e", 4)}}
	if err := r.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, FileJSON))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Datasets) != 2 || !near(back.Datasets[0].Pixel.AUROC, 369.0/459) || !math.IsNaN(float64(back.Datasets[1].Pixel.AUROC)) {
		t.Errorf("read back: %+v", back.Datasets)
	}
	for _, k := range []string{`"auroc"`, `"per_frame"`, `"components_after"`, `"kept_false_components_per_frame"`, `"sha256"`, `"hit_kept"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("eval.json lacks %s", k)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, FileMarkdown))
	if !strings.Contains(string(md), "| good | 1/1 |") {
		t.Errorf("eval.md:\n%s", md)
	}
	for _, f := range []string{FileROC, FilePR} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() < 1000 {
			t.Errorf("%s: %v", f, err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	var sb strings.Builder
	r.Summary(&sb)
	if !strings.Contains(sb.String(), "good") || !strings.Contains(sb.String(), "0/4") {
		t.Errorf("summary:\n%s", sb.String())
	}
}

func TestOverlay(t *testing.T) {
	in := goodFrame(t, "o")
	pix := make([]byte, 3*20*12)
	for i := range pix {
		pix[i] = 100
	}
	img := ResizeBGR(pix, 20, 12, in.W, in.H)
	if err := Overlay(img, in); err != nil {
		t.Fatal(err)
	}
	at := func(x, y int) [3]uint8 {
		p := img.Pix[img.PixOffset(x, y):]
		return [3]uint8{p[0], p[1], p[2]}
	}
	if c := at(8, 5); !(c[2] > c[0]) { // removed component: blue
		t.Errorf("removed component pixel %v", c)
	}
	if c := at(4, 2); !(c[0] > 150 && c[1] < 100) { // kept component on a known pixel: red
		t.Errorf("kept component pixel %v", c)
	}
	if c := at(6, 4); c != [3]uint8{colGT.R, colGT.G, colGT.B} { // lone GT pixel: outline
		t.Errorf("GT outline pixel %v", c)
	}
	if c := at(0, 0); c != [3]uint8{100, 100, 100} {
		t.Errorf("untouched pixel %v", c)
	}
	if err := Overlay(image.NewRGBA(image.Rect(0, 0, 3, 3)), in); !errors.Is(err, ErrInput) {
		t.Errorf("wrong-size image: %v", err)
	}
}

// TestFPR95Attribution: the frames' known pixels flagged at the FPR95 threshold add up to the
// FPR95's numerator, and each frame's counts match a brute-force count at that threshold.
func TestFPR95Attribution(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const w, h = 16, 8
	e := NewEvaluator(SizeFilter{})
	var frames []FrameInput
	for f := range 5 {
		in := FrameInput{Name: fmt.Sprint("f", f), W: w, H: h, Threshold: 0.7, Components: make([]int32, w*h)}
		for range w * h {
			l := uint8(Known)
			switch rng.IntN(10) {
			case 0, 1:
				l = Anomaly
			case 2:
				l = Void
			}
			in.Labels = append(in.Labels, l)
			// Frame 3's known pixels score high: it should hold most of the flagged ones. Ties
			// (scores on a 1/32 grid) exercise the ≥.
			s := float32(rng.IntN(32)) / 32
			if l == Anomaly {
				s = min(1, s+0.4)
			} else if f == 3 {
				s = min(1, s+0.5)
			}
			in.Score = append(in.Score, s)
		}
		if _, err := e.Add(in); err != nil {
			t.Fatal(err)
		}
		frames = append(frames, in)
	}
	r := e.Result("d", "dir", 5)
	thr := float32(r.Pixel.FPR95Threshold)
	flagged, known := 0, 0
	for i, in := range frames {
		wantK, wantA := 0, 0
		for j, l := range in.Labels {
			switch {
			case l == Known:
				known++
				wantK += b2i(in.Score[j] >= thr)
			case l == Anomaly:
				wantA += b2i(in.Score[j] < thr)
			}
		}
		got := r.PerFrame[i]
		if got.KnownFlaggedAtTPR95 != wantK || got.AnomalyMissedAtTPR95 != wantA {
			t.Errorf("frame %d: flagged %d missed %d, want %d and %d (threshold %g)", i, got.KnownFlaggedAtTPR95, got.AnomalyMissedAtTPR95, wantK, wantA, thr)
		}
		flagged += got.KnownFlaggedAtTPR95
	}
	if fpr := float64(flagged) / float64(known); math.Abs(fpr-float64(r.Pixel.FPR95)) > 1e-12 {
		t.Fatalf("flagged known pixels give FPR %g, FPR95 is %g", fpr, float64(r.Pixel.FPR95))
	}
	if r.PerFrame[3].KnownFlaggedAtTPR95 <= r.PerFrame[0].KnownFlaggedAtTPR95 {
		t.Fatalf("frame 3 (high known scores) flagged %d, frame 0 %d", r.PerFrame[3].KnownFlaggedAtTPR95, r.PerFrame[0].KnownFlaggedAtTPR95)
	}
	// A second Result (the keys are sorted now) keeps the counts.
	again := e.Result("d", "dir", 5).PerFrame[3]
	if again.KnownFlaggedAtTPR95 != r.PerFrame[3].KnownFlaggedAtTPR95 || again.AnomalyMissedAtTPR95 != r.PerFrame[3].AnomalyMissedAtTPR95 {
		t.Fatalf("second Result: %d and %d, first %d and %d", again.KnownFlaggedAtTPR95, again.AnomalyMissedAtTPR95,
			r.PerFrame[3].KnownFlaggedAtTPR95, r.PerFrame[3].AnomalyMissedAtTPR95)
	}
}
