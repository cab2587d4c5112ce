package calib

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metaood/metaood/internal/sharedtest"
	"github.com/metaood/metaood/postproc"
)

// TestBuildDatasetConformance builds a dataset from the conformance cases (probs.npy + gt.png, linked
// into the flat layout users keep) and compares every row with the reference code's expected.csv.
func TestBuildDatasetConformance(t *testing.T) {
	cases := sharedtest.Path(t, "conformance/cases")
	names, err := os.ReadDir(cases)
	if err != nil {
		t.Fatal(err)
	}
	probs, gts := t.TempDir(), t.TempDir()
	var want []*Dataset
	for _, e := range names {
		c := filepath.Join(cases, e.Name())
		if err := os.Symlink(filepath.Join(c, "probs.npy"), filepath.Join(probs, e.Name()+".npy")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(c, "gt.png"), filepath.Join(gts, e.Name()+"_labels.png")); err != nil {
			t.Fatal(err)
		}
		d, err := ReadCSVFile(filepath.Join(c, "expected.csv"))
		if err != nil && strings.Contains(err.Error(), "no rows") {
			d, err = &Dataset{}, nil // a case without components
		}
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, d) // os.ReadDir and ProbsGTFrames both go in name order
	}
	frames, n, err := ProbsGTFrames(probs, gts, "{name}_labels.png", false, nil)
	if err != nil || n != len(names) {
		t.Fatalf("%d frames, %v", n, err)
	}
	got, err := BuildDataset(context.Background(), postproc.New(postproc.Options{}), frames, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.P() != 75 || got.Names[74] != "ndist9" {
		t.Fatalf("names %v", got.Names)
	}
	row := 0
	for k, w := range want {
		for i := range w.N() {
			if got.Image[row] != names[k].Name() || got.Y[row] != w.Y[i] {
				t.Fatalf("row %d: image %s label %v, want %s %v", row, got.Image[row], got.Y[row], names[k].Name(), w.Y[i])
			}
			for j, v := range w.Row(i) {
				g := got.Row(row)[j]
				if math.Abs(g-v) > 1e-4*math.Max(1, math.Abs(v)) {
					t.Fatalf("%s component %d %s: %v, want %v", names[k].Name(), i+1, w.Names[j], g, v)
				}
			}
			row++
		}
	}
	if row != got.N() {
		t.Fatalf("%d rows, expected %d", got.N(), row)
	}
}

func TestProbsGTFramesErrors(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := ProbsGTFrames(dir, dir, "", false, nil); !errors.Is(err, ErrData) || !strings.Contains(err.Error(), "no .npy") {
		t.Fatalf("empty folder: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.npy"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ProbsGTFrames(dir, dir, "", false, nil); !errors.Is(err, ErrData) || !strings.Contains(err.Error(), "a.png") {
		t.Fatalf("missing label: %v", err)
	}
	if _, _, err := ProbsGTFrames(dir, dir, "labels.png", false, nil); !errors.Is(err, ErrOption) {
		t.Fatalf("pattern without {name}: %v", err)
	}
}

func TestLabelMap(t *testing.T) {
	gt := []uint8{0, 1, 2, 255, 7}
	(&LabelMap{OOD: []uint8{2}, Ignore: []uint8{255, 7}}).apply(gt)
	if want := []uint8{0, 0, 254, 255, 255}; string(gt) != string(want) {
		t.Fatalf("got %v want %v", gt, want)
	}
}
