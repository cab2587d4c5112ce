package main

import (
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/metaood/metaood/calib"
	"github.com/metaood/metaood/internal/sharedtest"
	"github.com/metaood/metaood/oodeval"
	"github.com/metaood/metaood/synth"
)

// evalReadReport reads OUT/eval.json.
func evalReadReport(t *testing.T, out string) *oodeval.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, oodeval.FileJSON))
	if err != nil {
		t.Fatal(err)
	}
	var r oodeval.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// TestEvalRoadAnomaly runs `metaood eval` with the real ESPNetv2 model on two RoadAnomaly frames,
// and the known-class check on two labelled Cityscapes frames.
func TestEvalRoadAnomaly(t *testing.T) {
	data := sharedtest.Path(t, "data/anomaly-dev/road_anomaly")
	cs := sharedtest.Path(t, "data/road/cityscapes")
	model := sharedtest.Path(t, "models/espnetv2_s2.0_cityscapes_512x1024_rgb01.onnx")
	needORT(t)
	out := t.TempDir()
	known := "name=cityscapes,images=" + filepath.Join(cs, "images") + ",labels=" + filepath.Join(cs, "labels_trainId") +
		",suffix=_leftImg8bit.jpg,pattern={name}_gtFine_labelTrainIds.png"
	err := cmdEval(context.Background(), []string{"--data", data, "--known", known, "--model", model, "--classes", "19", "--limit", "2", "--out", out})
	if err != nil {
		t.Fatal(err)
	}
	r := evalReadReport(t, out)
	if len(r.Datasets) != 1 || r.MapSize != "1024x512" || len(r.Model.SHA256) != 64 || r.Classifier.Path != "built-in" || r.Threshold != 0.7 || r.Interrupted {
		t.Fatalf("report header %+v", r)
	}
	d := r.Datasets[0]
	if d.Name != "road_anomaly" || d.Frames != 2 || d.FramesTotal != 2 || len(d.PerFrame) != 2 {
		t.Fatalf("dataset %s: %d/%d frames, %d per-frame rows", d.Name, d.Frames, d.FramesTotal, len(d.PerFrame))
	}
	p := d.Pixel
	if !(p.AUROC > 0.5 && p.AUROC < 1) || !(p.AP > 0 && p.AP < 1) || !(p.FPR95 > 0 && p.FPR95 < 1) || p.Positives == 0 {
		t.Errorf("pixel metrics %+v", p)
	}
	if math.Abs(float64(d.PixelRef.AUROC-p.AUROC)) > 0.02 {
		t.Errorf("100-bin AUROC %v far from the exact %v", d.PixelRef.AUROC, p.AUROC)
	}
	if d.Recall.Instances == 0 || d.FalseAlarms.Components == 0 || d.Before.GTInstances != d.Recall.Instances ||
		d.Before.Components != d.FalseAlarms.Components || d.After.Components != d.FalseAlarms.KeptComponents {
		t.Errorf("recall %+v, false alarms %+v, before %d/%d, after %d", d.Recall, d.FalseAlarms, d.Before.GTInstances, d.Before.Components, d.After.Components)
	}
	for _, f := range d.PerFrame {
		ov := filepath.Join(out, oodeval.OverlaysDir, d.Name, f.Name+".png")
		fh, err := os.Open(ov)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(fh)
		fh.Close()
		if err != nil || cfg.Width != 1024 || cfg.Height != 512 {
			t.Errorf("overlay %s: %dx%d %v", ov, cfg.Width, cfg.Height, err)
		}
	}
	for _, name := range []string{oodeval.FileMarkdown, oodeval.FileROC, oodeval.FilePR} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Known classes: the first two labelled frames (name order) of the 34 images, 9 labelled.
	if len(r.Known) != 1 {
		t.Fatalf("known %+v", r.Known)
	}
	k := r.Known[0]
	if k.Name != "cityscapes" || k.Frames != 2 || k.FramesTotal != 2 || k.Classes != 19 || k.MapSize != "1024x512" ||
		len(k.PerClassIoU) != 19 || len(k.PerFrame) != 2 || k.PerFrame[0].Name != "cologne_000152_000019" || k.PerFrame[1].Name != "darmstadt_000020_000019" {
		t.Fatalf("known result %s: %d/%d frames, %d classes, map %s, %d IoUs, frames %+v", k.Name, k.Frames, k.FramesTotal, k.Classes, k.MapSize, len(k.PerClassIoU), k.PerFrame)
	}
	// A Cityscapes model on Cityscapes: well above chance; road (0) is nearly right.
	if !(k.MIoU > 0.3 && k.MIoU < 1) || !(k.PixelAccuracy > 0.8 && k.PixelAccuracy < 1) || !(k.PerClassIoU[0] > 0.8) ||
		k.ClassesInMean < 10 || k.Pixels == 0 || k.Pixels > 2*1024*512 {
		t.Errorf("known: mIoU %v over %d classes, pixel accuracy %v, road IoU %v, %d px", k.MIoU, k.ClassesInMean, k.PixelAccuracy, k.PerClassIoU[0], k.Pixels)
	}
	md, err := os.ReadFile(filepath.Join(out, oodeval.FileMarkdown))
	if err != nil || !strings.Contains(string(md), "## Known classes") || !strings.Contains(string(md), "| 0 road |") {
		t.Errorf("eval.md lacks the known-class tables: %v", err)
	}
}

// TestEvalKnownPairs: a --known folder's labelled images are paired with calib.ImageGTPairs from
// the labels' side: unlabelled images are skipped, the pattern and suffix name the files, --limit
// applies, and --known alone (no --data) passes the flag check.
func TestEvalKnownPairs(t *testing.T) {
	root := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 4, 2))
	lab := image.NewGray(image.Rect(0, 0, 4, 2))
	for _, p := range []struct {
		path string
		m    image.Image
	}{
		{"images/sub/a_left.png", img}, {"images/sub/b_left.png", img}, {"images/sub/c_left.png", img}, {"images/z_left.png", img},
		{"labels/sub/a_gt.png", lab}, {"labels/sub/c_gt.png", lab}, {"labels/sub/c_other.png", lab},
	} {
		evalWritePNG(t, filepath.Join(root, p.path), p.m)
	}
	spec := "images=" + filepath.Join(root, "images") + ",labels=" + filepath.Join(root, "labels") + ",suffix=_left.png,pattern={name}_gt.png"
	sets, err := readKnownSets([]string{spec, spec + ",name=mine", spec}, 0, 19)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 3 || sets[0].name != "images" || sets[1].name != "mine" || sets[2].name != "images-2" {
		t.Fatalf("sets %+v", sets)
	}
	ps := sets[0].pairs
	if len(ps) != 2 || ps[0].Name != "sub/a" || ps[1].Name != "sub/c" || ps[0].Image != filepath.Join(root, "images/sub/a_left.png") ||
		ps[1].GT != filepath.Join(root, "labels/sub/c_gt.png") {
		t.Errorf("pairs %+v", ps)
	}
	if sets, err := readKnownSets([]string{spec}, 1, 0); err != nil || len(sets[0].pairs) != 1 {
		t.Errorf("--limit 1: %+v %v", sets, err)
	}
	var f evalFlags
	fs := pflag.NewFlagSet("eval", pflag.ContinueOnError)
	f.bind(fs)
	if err := fs.Parse([]string{"--known", spec, "--out", root}); err != nil || f.check(fs) != nil {
		t.Errorf("--known without --data: %v %v", err, f.check(fs))
	}
}

// evalWritePNG writes m as a PNG file, making its folder.
func evalWritePNG(t *testing.T, path string, m image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, m); err != nil {
		t.Fatal(err)
	}
}

// evalSynthDataset writes n frames of a small synthetic drive as a dataset folder with
// Cityscapes-style labels (train ids, 254 anomaly, 255 ignore).
func evalSynthDataset(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	cfg := synth.Config{W: 128, H: 64, Seed: 3, Anomalies: true}
	d := synth.NewDrive(cfg)
	bgr, gt := make([]byte, 3*cfg.W*cfg.H), make([]uint8, cfg.W*cfg.H)
	for _, sub := range []string{oodeval.ImagesDir, oodeval.LabelsDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		d.Frame(100+40*i, bgr, gt)
		name := synth.FrameName(i)
		if err := synth.WriteFramePNG(filepath.Join(dir, oodeval.ImagesDir, name), bgr, cfg.W, cfg.H); err != nil {
			t.Fatal(err)
		}
		if err := synth.WriteGTPNG(filepath.Join(dir, oodeval.LabelsDir, name), gt, cfg.W, cfg.H); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// evalCountdown is a context whose Err turns to Canceled after n calls: a deterministic Ctrl-C.
type evalCountdown struct {
	context.Context
	n int
}

func (c *evalCountdown) Err() error {
	if c.n > 0 {
		c.n--
		return nil
	}
	return context.Canceled
}

// TestEvalTinyModelLabelMapAndInterrupt: the built-in tiny model on synthetic frames with
// --ood-labels 254 (two dataset folders, named apart); a Ctrl-C after the first frame writes a
// report of that frame only; one before any frame writes nothing.
func TestEvalTinyModelLabelMapAndInterrupt(t *testing.T) {
	needORT(t)
	data := evalSynthDataset(t, 3)
	out := t.TempDir()
	args := []string{"--data", data, "--data", data, "--ood-labels", "254", "--ignore-labels", "255", "--out", out}
	if err := cmdEval(context.Background(), args); err != nil {
		t.Fatal(err)
	}
	r := evalReadReport(t, out)
	if len(r.Datasets) != 2 || r.Datasets[1].Name != r.Datasets[0].Name+"-2" || r.Datasets[0].Frames != 3 || r.MapSize != "128x64" {
		t.Fatalf("datasets %+v", r.Datasets)
	}
	if d := r.Datasets[0]; d.Recall.Instances == 0 || !(d.Pixel.AUROC > 0.5) || len(r.OODLabels) != 1 || r.OODLabels[0] != 254 {
		t.Errorf("tiny model on its own drive: recall %+v, pixel %+v, ood labels %v", d.Recall, d.Pixel, r.OODLabels)
	}

	out2 := t.TempDir()
	err := cmdEval(&evalCountdown{Context: context.Background(), n: 1}, append(args[:len(args)-1], out2))
	if !errors.Is(err, oodeval.ErrInterrupted) {
		t.Fatalf("interrupted run: %v", err)
	}
	r = evalReadReport(t, out2)
	if !r.Interrupted || len(r.Datasets) != 1 || r.Datasets[0].Frames != 1 || r.Datasets[0].FramesTotal != 3 {
		t.Errorf("interrupted report: %+v", r.Datasets)
	}
	out3 := filepath.Join(t.TempDir(), "o")
	err = cmdEval(&evalCountdown{Context: context.Background()}, append(args[:len(args)-1], out3))
	if !errors.Is(err, oodeval.ErrInterrupted) || !strings.Contains(err.Error(), "nothing written") {
		t.Fatalf("run interrupted at once: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out3, oodeval.FileJSON)); !os.IsNotExist(err) {
		t.Errorf("eval.json written with no frame done: %v", err)
	}
}

// TestEvalErrors: bad command lines and bad dataset folders fail before any model runs, naming the
// file or flag and the fix.
func TestEvalErrors(t *testing.T) {
	good := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 4, 2))
	evalWrite := func(path string, m image.Image) { t.Helper(); evalWritePNG(t, path, m) }
	gray := func(w, h int, v uint8) *image.Gray {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = v
		}
		return g
	}
	evalWrite(filepath.Join(good, "images", "a.png"), img)
	evalWrite(filepath.Join(good, "labels", "a.png"), gray(4, 2, 0))
	badValue := t.TempDir()
	evalWrite(filepath.Join(badValue, "images", "a.png"), img)
	evalWrite(filepath.Join(badValue, "labels", "a.png"), gray(4, 2, 7))
	badSize := t.TempDir()
	evalWrite(filepath.Join(badSize, "images", "a.png"), img)
	evalWrite(filepath.Join(badSize, "labels", "a.png"), gray(2, 2, 0))
	noLabel := t.TempDir()
	evalWrite(filepath.Join(noLabel, "images", "a.png"), img)
	evalWrite(filepath.Join(noLabel, "labels", "b.png"), gray(4, 2, 0))
	badImage := t.TempDir()
	os.MkdirAll(filepath.Join(badImage, "images"), 0o755)
	os.WriteFile(filepath.Join(badImage, "images", "a.png"), []byte("not a png"), 0o644)
	evalWrite(filepath.Join(badImage, "labels", "a.png"), gray(4, 2, 0))
	out := filepath.Join(t.TempDir(), "out")
	// --known folders (train ids): good is also one with the default pattern and suffix.
	knownGood := "images=" + filepath.Join(good, "images") + ",labels=" + filepath.Join(good, "labels")
	known19 := t.TempDir()
	evalWrite(filepath.Join(known19, "images", "a.png"), img)
	evalWrite(filepath.Join(known19, "labels", "a.png"), gray(4, 2, 19))
	knownBadSize := "images=" + filepath.Join(badSize, "images") + ",labels=" + filepath.Join(badSize, "labels")
	noPairs := "images=" + filepath.Join(noLabel, "images") + ",labels=" + filepath.Join(noLabel, "labels") + ",pattern={name}_gt.png"
	labelNoImage := "images=" + filepath.Join(noLabel, "images") + ",labels=" + filepath.Join(noLabel, "labels")

	for _, c := range []struct {
		name string
		args []string
		is   error
		says []string
	}{
		{"no data", []string{"--out", out}, errUsage, []string{"--data DIR or --known images=DIR,labels=DIR", "is required"}},
		{"known: no labels key", []string{"--known", "images=" + good, "--out", out}, errUsage, []string{"images= and labels= are required"}},
		{"known: unknown key", []string{"--known", knownGood + ",gt=x", "--out", out}, errUsage, []string{`unknown key "gt"`}},
		{"known: pattern", []string{"--known", knownGood + ",pattern=gt_{name}.png", "--out", out}, errUsage, []string{"pattern=gt_{name}.png"}},
		{"known: no folder", []string{"--known", "images=" + filepath.Join(good, "none") + ",labels=" + good, "--out", out}, oodeval.ErrLayout,
			[]string{filepath.Join(good, "none"), "not a folder"}},
		{"known: no label files", []string{"--known", noPairs, "--out", out}, calib.ErrData,
			[]string{filepath.Join(noLabel, "images"), filepath.Join(noLabel, "labels"), "no files ending in _gt.png"}},
		{"known: label without image", []string{"--known", labelNoImage, "--out", out}, calib.ErrData,
			[]string{filepath.Join(noLabel, "images", "b.png"), filepath.Join(noLabel, "labels", "b.png")}},
		{"known: label value", []string{"--known", "images=" + filepath.Join(known19, "images") + ",labels=" + filepath.Join(known19, "labels"), "--classes", "19", "--out", out},
			oodeval.ErrLabelValue, []string{filepath.Join(known19, "labels", "a.png"), "holds 19", "train ids 0…18"}},
		{"known: label size", []string{"--known", knownBadSize, "--out", out}, oodeval.ErrLabelSize, []string{"is 2x2 but image", "4x2"}},
		{"no out", []string{"--data", good}, errUsage, []string{"--out DIR is required"}},
		{"threshold", []string{"--data", good, "--out", out, "--threshold", "0"}, errUsage, []string{"--threshold 0"}},
		{"ignore without ood", []string{"--data", good, "--out", out, "--ignore-labels", "0"}, errUsage, []string{"--ood-labels"}},
		{"negative size", []string{"--data", good, "--out", out, "--segsize", "-1"}, errUsage, []string{"--segsize"}},
		{"no images folder", []string{"--data", filepath.Join(good, "labels"), "--out", out}, oodeval.ErrLayout, []string{"images/ folder"}},
		{"label value", []string{"--data", badValue, "--out", out}, oodeval.ErrLabelValue,
			[]string{filepath.Join(badValue, "labels", "a.png"), "holds 7", "--ood-labels"}},
		{"label size", []string{"--data", badSize, "--out", out}, oodeval.ErrLabelSize, []string{"is 2x2 but image", "4x2"}},
		{"image without label", []string{"--data", noLabel, "--out", out}, oodeval.ErrNoLabel, []string{filepath.Join(noLabel, "labels", "a.png")}},
		{"unreadable image", []string{"--data", badImage, "--out", out}, oodeval.ErrImage, []string{filepath.Join(badImage, "images", "a.png")}},
		{"classifier file", []string{"--data", good, "--out", out, "--classifier", filepath.Join(good, "none.json")}, os.ErrNotExist, []string{"none.json"}},
	} {
		err := cmdEval(context.Background(), c.args)
		if !errors.Is(err, c.is) {
			t.Errorf("%s: %v, want %v", c.name, err, c.is)
			continue
		}
		for _, s := range c.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q does not say %q", c.name, err, s)
			}
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("--out created by a failed command: %v", err)
	}
}
