package main

import (
	"context"
	"encoding/csv"
	"errors"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/metaood/metaood/internal/npy"
	"github.com/metaood/metaood/internal/sharedtest"
)

// TestFeaturesConformance runs the command on a reference case and compares its CSV with the
// reference implementation's expected.csv (same header; S, S_in, S_bd, iou0 exact, others 1e-6 + 1e-5·|x|).
func TestFeaturesConformance(t *testing.T) {
	dir := sharedtest.Path(t, "conformance/cases/real_fra576")
	out := filepath.Join(t.TempDir(), "f.csv")
	err := cmdFeatures(context.Background(), []string{"--probs", filepath.Join(dir, "probs.npy"), "--gt", filepath.Join(dir, "gt.png"), "--out", out})
	if err != nil {
		t.Fatal(err)
	}
	got, want := readCSVFile(t, out), readCSVFile(t, filepath.Join(dir, "expected.csv"))
	if strings.Join(got[0], ",") != strings.Join(want[0], ",") {
		t.Fatalf("header\n got %v\nwant %v", got[0], want[0])
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got)-1, len(want)-1)
	}
	exact := map[string]bool{"S": true, "S_in": true, "S_bd": true, "iou0": true}
	for r := 1; r < len(want); r++ {
		for c, name := range want[0] {
			g, _ := strconv.ParseFloat(got[r][c], 64)
			w, _ := strconv.ParseFloat(want[r][c], 64)
			if exact[name] && g != w || math.Abs(g-w) > 1e-6+1e-5*math.Abs(w) {
				t.Errorf("row %d %s: %s, want %s", r, name, got[r][c], want[r][c])
			}
		}
	}
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

func writePNG(t *testing.T, path string, w, h int, v uint8) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// TestFeaturesErrors: every user mistake gives an error that names the flag or file and the fix.
func TestFeaturesErrors(t *testing.T) {
	dir := t.TempDir()
	const c, h, w = 3, 4, 5
	uniform := make([]float32, c*h*w)
	for i := range uniform {
		uniform[i] = 1.0 / 3
	}
	good := filepath.Join(dir, "good.npy")
	if err := npy.WriteFloat32File(good, uniform, c, h, w); err != nil {
		t.Fatal(err)
	}
	logitsLike := make([]float32, c*h*w)
	for i := range logitsLike {
		logitsLike[i] = float32(i%7) - 2
	}
	lg := filepath.Join(dir, "logits.npy")
	npy.WriteFloat32File(lg, logitsLike, c, h, w)
	nan := append([]float32(nil), uniform...)
	nan[7] = float32(math.NaN())
	nanPath := filepath.Join(dir, "nan.npy")
	npy.WriteFloat32File(nanPath, nan, c, h, w)
	flat := filepath.Join(dir, "flat.npy")
	npy.WriteFloat32File(flat, uniform, c*h*w)
	lastAxis := filepath.Join(dir, "hwc.npy")
	npy.WriteFloat32File(lastAxis, make([]float32, 300*2*3), 300, 2, 3) // H, W, C
	gtSmall := filepath.Join(dir, "gt_small.png")
	writePNG(t, gtSmall, w-1, h, 0)
	imgPath := filepath.Join(dir, "img.png")
	writePNG(t, imgPath, 2*w, 2*h, 90)
	out := filepath.Join(dir, "out.csv")

	cases := []struct {
		name  string
		args  []string
		usage bool
		want  string // substring of the message
	}{
		{"no input", []string{"--out", out}, true, "--probs"},
		{"two inputs", []string{"--probs", good, "--logits", good}, true, "exclude"},
		{"model without image", []string{"--probs", good, "--model", "m.onnx"}, true, "only used with --image"},
		{"bad threshold", []string{"--probs", good, "--threshold", "1.5"}, true, "threshold"},
		{"zero threshold", []string{"--probs", good, "--threshold", "0"}, true, "(0, 1]"},
		{"same labels", []string{"--probs", good, "--ood-label", "7", "--ignore-label", "7"}, true, "label"},
		{"unknown flag", []string{"--probs", good, "--nope"}, true, "nope"},
		{"stray argument", []string{"--probs", good, "extra"}, true, "extra"},
		{"missing file", []string{"--probs", filepath.Join(dir, "none.npy")}, false, "none.npy"},
		{"not 3-D", []string{"--probs", flat}, false, "flat.npy"},
		{"class axis last", []string{"--probs", lastAxis}, false, "class axis"},
		{"logits as probs", []string{"--probs", lg}, false, "--logits"},
		{"NaN", []string{"--probs", nanPath}, false, "NaN"},
		{"gt size", []string{"--probs", good, "--gt", gtSmall}, false, "must match"},
		{"missing image", []string{"--image", filepath.Join(dir, "none.png")}, false, "none.png"},
		{"image not an image", []string{"--image", good}, false, "good.npy"},
		{"missing model file", []string{"--image", imgPath, "--model", filepath.Join(dir, "none.onnx")}, false, "none.onnx"},
		{"image gt size", []string{"--image", imgPath, "--gt", gtSmall}, false, "must match"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := cmdFeatures(context.Background(), append(tc.args, "--out", out))
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

// TestFeaturesNoGT: without --gt the label columns are left out; logits give the same rows as probabilities.
func TestFeaturesNoGT(t *testing.T) {
	dir := t.TempDir()
	const c, h, w = 4, 6, 7
	probs := make([]float32, c*h*w)
	logits := make([]float32, c*h*w)
	for i := 0; i < h*w; i++ {
		flat := i%w >= 2 && i%w <= 4 && i/w >= 1 && i/w <= 3 // a 3×3 uncertain block
		for k := 0; k < c; k++ {
			l := float32(0)
			if !flat && k == i%c {
				l = 8
			}
			logits[k*h*w+i] = l
		}
		var s float64
		for k := 0; k < c; k++ {
			s += math.Exp(float64(logits[k*h*w+i]))
		}
		for k := 0; k < c; k++ {
			probs[k*h*w+i] = float32(math.Exp(float64(logits[k*h*w+i])) / s)
		}
	}
	pp, lp := filepath.Join(dir, "p.npy"), filepath.Join(dir, "l.npy")
	npy.WriteFloat32File(pp, probs, c, h, w)
	npy.WriteFloat32File(lp, logits, c, h, w)
	op, ol := filepath.Join(dir, "p.csv"), filepath.Join(dir, "l.csv")
	if err := cmdFeatures(context.Background(), []string{"--probs", pp, "--out", op}); err != nil {
		t.Fatal(err)
	}
	if err := cmdFeatures(context.Background(), []string{"--logits", lp, "--out", ol}); err != nil {
		t.Fatal(err)
	}
	a, b := readCSVFile(t, op), readCSVFile(t, ol)
	if len(a) != 2 || len(a[0]) != 37+2*c || a[0][len(a[0])-1] != "ndist3" {
		t.Fatalf("want a header of %d names ending in ndist3 and one row, got %d rows, header %v", 37+2*c, len(a)-1, a[0])
	}
	for i := range a[1] {
		x, _ := strconv.ParseFloat(a[1][i], 64)
		y, _ := strconv.ParseFloat(b[1][i], 64)
		if math.Abs(x-y) > 1e-6+1e-5*math.Abs(x) {
			t.Errorf("%s: probs %s, logits %s", a[0][i], a[1][i], b[1][i])
		}
	}
}
