package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/metaood/metaood/calib"
	"github.com/metaood/metaood/infer"
	"github.com/metaood/metaood/internal/npy"
	"github.com/metaood/metaood/metaclf"
	"github.com/metaood/metaood/postproc"
	"github.com/metaood/metaood/segmodel"
	"github.com/metaood/metaood/synth"
)

// needORT skips a test that runs a model when ONNX Runtime is not installed.
func needORT(t *testing.T) {
	t.Helper()
	if err := infer.Init(""); err != nil {
		t.Fatalf("ONNX Runtime unavailable (run `make setup`): %v", err)
	}
}

// writeDriveFiles writes frames first, first+step, … of a small drive as frames/NNNNNN.png and
// gt/NNNNNN.png below dir.
func writeDriveFiles(t *testing.T, dir string, cfg synth.Config, first, n, step int) {
	t.Helper()
	for _, sub := range []string{"frames", "gt"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	d := synth.NewDrive(cfg)
	bgr, gt := make([]byte, 3*cfg.W*cfg.H), make([]uint8, cfg.W*cfg.H)
	for k := range n {
		i := first + k*step
		d.Frame(i, bgr, gt)
		if err := synth.WriteFramePNG(filepath.Join(dir, "frames", synth.FrameName(i)), bgr, cfg.W, cfg.H); err != nil {
			t.Fatal(err)
		}
		if err := synth.WriteGTPNG(filepath.Join(dir, "gt", synth.FrameName(i)), gt, cfg.W, cfg.H); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCalibDatasetSynthAndImages: a dataset from a small synthetic drive through the tiny model has
// the image, 75 metric, iou and iou0 columns and a row per component; the same frames saved as PNG
// files give the same rows through --images, and `features --image --gt` the same rows for one frame.
func TestCalibDatasetSynthAndImages(t *testing.T) {
	needORT(t)
	dir := t.TempDir()
	cfg := synth.Config{W: 256, H: 128, Seed: 5, Anomalies: true}
	synthCSV := filepath.Join(dir, "synth.csv")
	err := calibDataset(context.Background(), []string{"--synth", "seed=5,frames=3,size=256x128,first=100,step=50", "--out", synthCSV, "--workers", "2"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := calib.ReadCSVFile(synthCSV)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Names, postproc.MetricNames(19)) || d.IoU == nil || d.Image == nil {
		t.Fatalf("columns: %d names, iou %v, image %v", len(d.Names), d.IoU != nil, d.Image != nil)
	}
	if d.N() < 3 || d.CountFP() == 0 {
		t.Fatalf("%d rows, %d false positives: want several components of both kinds", d.N(), d.CountFP())
	}
	for _, im := range d.Image {
		if !slices.Contains([]string{"synth-s5-000100", "synth-s5-000150", "synth-s5-000200"}, im) {
			t.Fatalf("image id %q", im)
		}
	}
	rec := readCSVFile(t, synthCSV)
	if h := rec[0]; h[0] != "image" || h[len(h)-2] != "iou" || h[len(h)-1] != "iou0" || len(h) != 1+75+2 {
		t.Fatalf("header %v", h)
	}

	// The same frames as files: identical rows.
	writeDriveFiles(t, dir, cfg, 100, 3, 50)
	imagesCSV := filepath.Join(dir, "images.csv")
	err = calibDataset(context.Background(), []string{"--images", filepath.Join(dir, "frames"), "--gt-dir", filepath.Join(dir, "gt"), "--out", imagesCSV})
	if err != nil {
		t.Fatal(err)
	}
	got := readCSVFile(t, imagesCSV)
	if len(got) != len(rec) {
		t.Fatalf("--images: %d rows, --synth %d", len(got)-1, len(rec)-1)
	}
	var first [][]string // rows of frame 100
	for r := 1; r < len(rec); r++ {
		if want := "000" + strings.TrimPrefix(rec[r][0], "synth-s5-000"); got[r][0] != want {
			t.Fatalf("row %d: image %q, want %q", r, got[r][0], want)
		}
		if !slices.Equal(got[r][1:], rec[r][1:]) {
			t.Fatalf("row %d differs between --images and --synth", r)
		}
		if rec[r][0] == "synth-s5-000100" {
			first = append(first, rec[r][1:])
		}
	}

	// features --image --gt on frame 100.
	fcsv := filepath.Join(dir, "f.csv")
	err = cmdFeatures(context.Background(), []string{"--image", filepath.Join(dir, "frames", "000100.png"), "--gt", filepath.Join(dir, "gt", "000100.png"), "--out", fcsv})
	if err != nil {
		t.Fatal(err)
	}
	f := readCSVFile(t, fcsv)
	if len(f)-1 != len(first) {
		t.Fatalf("features --image: %d rows, the dataset has %d for that frame", len(f)-1, len(first))
	}
	for r := range first {
		if !slices.Equal(f[r+1], first[r]) {
			t.Fatalf("features --image row %d differs from the dataset's", r)
		}
	}
}

// TestFeaturesImageNoGT: an image alone gives the 75 metric columns; --input-size runs the model
// at another size and the ground truth is resized to the map.
func TestFeaturesImageNoGT(t *testing.T) {
	needORT(t)
	dir := t.TempDir()
	cfg := synth.Config{W: 256, H: 128, Seed: 9, Anomalies: true}
	writeDriveFiles(t, dir, cfg, 150, 1, 1)
	img, gt := filepath.Join(dir, "frames", "000150.png"), filepath.Join(dir, "gt", "000150.png")
	out := filepath.Join(dir, "f.csv")
	if err := cmdFeatures(context.Background(), []string{"--image", img, "--out", out}); err != nil {
		t.Fatal(err)
	}
	if h := readCSVFile(t, out)[0]; len(h) != 75 || h[0] != "D" {
		t.Fatalf("header %v", h)
	}
	if err := cmdFeatures(context.Background(), []string{"--image", img, "--gt", gt, "--input-size", "128x64", "--out", out}); err != nil {
		t.Fatal(err)
	}
	rec := readCSVFile(t, out)
	if h := rec[0]; len(h) != 77 || h[76] != "iou0" {
		t.Fatalf("header %v", h)
	}
	if len(rec) < 2 {
		t.Fatal("no components at 128x64")
	}
	ix, iy := slices.Index(rec[0], "mean_x"), slices.Index(rec[0], "mean_y")
	for _, r := range rec[1:] { // centres are in map pixels: 128x64, not the image's 256x128
		x, _ := strconv.ParseFloat(r[ix], 64)
		y, _ := strconv.ParseFloat(r[iy], 64)
		if x < 0 || x >= 128 || y < 0 || y >= 64 {
			t.Fatalf("centre (%v, %v) outside the 128x64 map", x, y)
		}
	}
}

// TestCalibDatasetErrors: every mistake names the flag or the file and says what to do.
func TestCalibDatasetErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := synth.Config{W: 64, H: 32, Seed: 2, Anomalies: true}
	writeDriveFiles(t, dir, cfg, 0, 2, 1)
	os.Remove(filepath.Join(dir, "gt", "000001.png"))
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	out := filepath.Join(dir, "d.csv")
	frames, gts := filepath.Join(dir, "frames"), filepath.Join(dir, "gt")
	cases := []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no source", []string{"--out", out}, true, "exactly one source"},
		{"two sources", []string{"--images", frames, "--synth", "seed=1,frames=1", "--out", out}, true, "exactly one source"},
		{"no out", []string{"--images", frames}, true, "--out"},
		{"image without label", []string{"--images", frames, "--gt-dir", gts, "--out", out}, false, "000001.png"},
		{"no images", []string{"--images", empty, "--gt-dir", gts, "--out", out}, false, "empty"},
		{"suffix matches nothing", []string{"--images", frames, "--gt-dir", gts, "--image-suffix", "_leftImg8bit.png", "--out", out}, false, "_leftImg8bit.png"},
		{"missing model file", []string{"--synth", "seed=1,frames=1,size=64x32", "--model", filepath.Join(dir, "nope.onnx"), "--out", out}, false, "nope.onnx"},
		{"synth without frames", []string{"--synth", "seed=1", "--out", out}, true, "frames"},
		{"synth unknown key", []string{"--synth", "seed=1,frames=2,fps=3", "--out", out}, true, "fps"},
		{"synth bad size", []string{"--synth", "seed=1,frames=2,size=10x10", "--out", out}, true, "size"},
		{"synth with gt-dir", []string{"--synth", "seed=1,frames=2", "--gt-dir", gts, "--out", out}, true, "--gt-dir"},
		{"model with probs-dir", []string{"--probs-dir", dir, "--model", "m.onnx", "--out", out}, true, "--model"},
		{"suffix without images", []string{"--probs-dir", dir, "--image-suffix", "x.png", "--out", out}, true, "--image-suffix"},
		{"bad input size", []string{"--synth", "seed=1,frames=1", "--input-size", "big", "--out", out}, true, "--input-size"},
		{"out folder missing", []string{"--synth", "seed=1,frames=1,size=64x32", "--out", filepath.Join(dir, "no", "d.csv")}, false, "--out"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := calibDataset(context.Background(), tc.args)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, errUsage) != tc.usage {
				t.Errorf("errUsage = %v, want %v: %v", !tc.usage, tc.usage, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// TestCalibDatasetInterrupted: a cancelled build stops before the first frame and reports
// ErrInterrupted, leaving no empty file behind.
func TestCalibDatasetInterrupted(t *testing.T) {
	needORT(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "d.csv")
	err := calibDataset(ctx, []string{"--synth", "seed=3,frames=50,size=64x32", "--out", out})
	if !errors.Is(err, calib.ErrInterrupted) {
		t.Fatalf("err %v, want ErrInterrupted", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s left behind: %v", out, err)
	}
}

func TestParseSynthSpec(t *testing.T) {
	cases := []struct {
		in                string
		ok                bool
		seed              int64
		w, first, n, step int
		anomalies         bool
	}{
		{"seed=4,frames=10", true, 4, 1024, 0, 10, 1, true},
		{"seed=4,frames=10,size=320x160,first=7,step=3,anomalies=0", true, 4, 320, 7, 10, 3, false},
		{"frames=10", false, 0, 0, 0, 0, 0, false},
		{"seed=4,frames=0", false, 0, 0, 0, 0, 0, false},
		{"seed=4,frames=2,step=0", false, 0, 0, 0, 0, 0, false},
		{"seed=4,frames=2,anomalies=2", false, 0, 0, 0, 0, 0, false},
		{"seed=4,seed=5,frames=2", false, 0, 0, 0, 0, 0, false},
		{"seed=x,frames=2", false, 0, 0, 0, 0, 0, false},
	}
	for _, c := range cases {
		sp, err := parseSynthSpec(c.in)
		if (err == nil) != c.ok {
			t.Errorf("%q: err %v", c.in, err)
			continue
		}
		if c.ok && (sp.cfg.Seed != c.seed || sp.cfg.W != c.w || sp.first != c.first || sp.frames != c.n || sp.step != c.step || sp.cfg.Anomalies != c.anomalies) {
			t.Errorf("%q: %+v", c.in, sp)
		}
		if !c.ok && !errors.Is(err, errUsage) {
			t.Errorf("%q: %v is not a usage error", c.in, err)
		}
	}
}

func TestResizeLabels(t *testing.T) {
	src := []uint8{ // 4×2
		1, 2, 3, 4,
		5, 6, 7, 8,
	}
	cases := []struct {
		w, h int
		want []uint8
	}{
		{4, 2, src},
		{2, 1, []uint8{6, 8}}, // centres of 2×2 blocks fall on the lower-right pixel
		{8, 2, []uint8{1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8}},
		{4, 4, []uint8{1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7, 8}},
	}
	for _, c := range cases {
		if got := resizeLabels(src, 4, 2, c.w, c.h); !slices.Equal(got, c.want) {
			t.Errorf("%dx%d: %v, want %v", c.w, c.h, got, c.want)
		}
	}
}

func TestParseExtras(t *testing.T) {
	m, err := parseExtras([]string{"a=1", `b={"x":[1,2]}`, "c=some text", "d="})
	if err != nil {
		t.Fatal(err)
	}
	if string(m["a"].(json.RawMessage)) != "1" || string(m["b"].(json.RawMessage)) != `{"x":[1,2]}` || m["c"] != "some text" || m["d"] != "" {
		t.Fatalf("%v", m)
	}
	for _, bad := range [][]string{{"novalue"}, {"=x"}, {"a=1", "a=2"}} {
		if _, err := parseExtras(bad); !errors.Is(err, errUsage) {
			t.Errorf("%v: err %v", bad, err)
		}
	}
}

// TestCalibSidecarTrain: calib dataset writes DATA.meta.json with the model's sha256 and the map
// size (--synth through the tiny model; --probs-dir: the size, no model); calib train records them in
// the classifier, --model-sha256 and --map-size override them ("" = none), and a sidecar of
// another dataset is refused.
func TestCalibSidecarTrain(t *testing.T) {
	needORT(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "synth.csv")
	spec := "seed=5,frames=3,size=256x128,first=100,step=50"
	if err := calibDataset(context.Background(), []string{"--synth", spec, "--out", data}); err != nil {
		t.Fatal(err)
	}
	meta, err := calib.ReadDatasetMeta(data + ".meta.json")
	if err != nil {
		t.Fatal(err)
	}
	tinySHA := metaclf.ModelHash(segmodel.Tiny())
	if meta.Model != "tiny.onnx (built in)" || meta.ModelSHA256 != tinySHA || !slices.Equal(meta.MapSize, []int{256, 128}) ||
		meta.Classes != 19 || meta.Frames != 3 || meta.Threshold != 0.7 || meta.Preset != "rgb01" ||
		!slices.Equal(meta.Sources, []string{"--synth " + spec}) {
		t.Fatalf("sidecar %+v", meta)
	}

	other := strings.Repeat("0f", 32)
	cases := []struct {
		name string
		args []string
		sha  string
		size []int
	}{
		{"from the sidecar", nil, tinySHA, []int{256, 128}},
		{"flags override", []string{"--model-sha256", strings.ToUpper(other), "--map-size", "1024x512"}, other, []int{1024, 512}},
		{"flags clear", []string{"--model-sha256=", "--map-size="}, "", nil},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "clf"+strconv.Itoa(i)+".json")
			if err := calibTrain(context.Background(), append([]string{"--data", data, "--model", "lr", "--out", out}, tc.args...)); err != nil {
				t.Fatal(err)
			}
			m, err := metaclf.Load(out)
			if err != nil {
				t.Fatal(err)
			}
			w, h := m.MapSize()
			if m.ModelSHA256() != tc.sha || (tc.size == nil) != (w == 0) || (tc.size != nil && (w != tc.size[0] || h != tc.size[1])) {
				t.Fatalf("classifier records sha %q, map %dx%d; want %q, %v", m.ModelSHA256(), w, h, tc.sha, tc.size)
			}
		})
	}
	for _, bad := range [][]string{{"--model-sha256", "abc"}, {"--map-size", "big"}} {
		err := calibTrain(context.Background(), append([]string{"--data", data, "--model", "lr", "--out", filepath.Join(dir, "x.json")}, bad...))
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%v: %v", bad, err)
		}
	}
	// A sidecar that describes maps of another class count belongs to another dataset.
	meta.Classes = 20
	if err := calib.WriteDatasetMeta(data+".meta.json", meta); err != nil {
		t.Fatal(err)
	}
	if err := calibTrain(context.Background(), []string{"--data", data, "--model", "lr", "--out", filepath.Join(dir, "x.json")}); err == nil ||
		!strings.Contains(err.Error(), "another dataset") {
		t.Errorf("stale sidecar: %v", err)
	}
	// Without a sidecar the classifier records nothing.
	os.Remove(data + ".meta.json")
	out := filepath.Join(dir, "none.json")
	if err := calibTrain(context.Background(), []string{"--data", data, "--model", "lr", "--out", out}); err != nil {
		t.Fatal(err)
	}
	if m, err := metaclf.Load(out); err != nil || m.ModelSHA256() != "" {
		t.Fatalf("no sidecar: %v, sha %q", err, m.ModelSHA256())
	}

	// Stored maps: the map size is known, the model is not.
	probs := filepath.Join(dir, "probs")
	os.Mkdir(probs, 0o755)
	const c, w, h = 19, 64, 32
	logits := make([]float32, c*h*w)
	gt := make([]uint8, w*h)
	for y := range h {
		for x := range w {
			if x < 20 || x > 40 || y < 8 || y > 24 { // confident road outside a uniform (entropy 1) block
				logits[y*w+x] = 10
			} else {
				gt[y*w+x] = 254
			}
		}
	}
	if err := npy.WriteFloat32File(filepath.Join(probs, "a.npy"), logits, c, h, w); err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteGTPNG(filepath.Join(probs, "a.png"), gt, w, h); err != nil {
		t.Fatal(err)
	}
	pdata := filepath.Join(dir, "probs.csv")
	if err := calibDataset(context.Background(), []string{"--probs-dir", probs, "--logits", "--out", pdata}); err != nil {
		t.Fatal(err)
	}
	pm, err := calib.ReadDatasetMeta(pdata + ".meta.json")
	if err != nil {
		t.Fatal(err)
	}
	if pm.Model != "" || pm.ModelSHA256 != "" || !slices.Equal(pm.MapSize, []int{w, h}) || pm.Classes != c || pm.Frames != 1 ||
		!slices.Equal(pm.Sources, []string{"--probs-dir " + probs}) {
		t.Fatalf("--probs-dir sidecar %+v", pm)
	}
}
