package calib

import (
	"context"
	"errors"
	"math"
	"strconv"
	"testing"
)

// synthDataset is n rows of p features from nImg images with a learnable label.
func synthDataset(n, p, nImg int, seed uint64) *Dataset {
	z, y := synthRows(n, p, seed)
	d := &Dataset{X: z, Y: y}
	for j := range p {
		d.Names = append(d.Names, "f"+strconv.Itoa(j))
	}
	for i := range n {
		d.Image = append(d.Image, "img"+strconv.Itoa(i%nImg))
	}
	return d
}

func TestParseCV(t *testing.T) {
	for _, c := range []struct {
		in   string
		want CVSpec
		ok   bool
	}{
		{"loo", CVSpec{LOO: true}, true}, {"images", CVSpec{}, true}, {"images:7", CVSpec{K: 7}, true},
		{"images:1", CVSpec{}, false}, {"images:x", CVSpec{}, false}, {"kfold", CVSpec{}, false},
	} {
		got, err := ParseCV(c.in)
		if (err == nil) != c.ok || (c.ok && (got != c.want || got.String() != c.in)) {
			t.Errorf("%q: %+v %v", c.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrOption) {
			t.Errorf("%q: error %v is not ErrOption", c.in, err)
		}
	}
}

func TestFoldsKeepImagesTogether(t *testing.T) {
	d := synthDataset(100, 3, 10, 1)
	folds, err := Folds(d, CVSpec{K: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	rows := 0
	for fi, f := range folds {
		rows += len(f)
		for _, i := range f {
			if prev, ok := seen[d.Image[i]]; ok && prev != fi {
				t.Fatalf("image %s in folds %d and %d", d.Image[i], prev, fi)
			}
			seen[d.Image[i]] = fi
		}
	}
	if rows != 100 || len(folds) != 3 {
		t.Fatalf("%d folds cover %d rows", len(folds), rows)
	}
	if _, err := Folds(d, CVSpec{K: 11}, 1); !errors.Is(err, ErrOption) {
		t.Fatalf("more folds than images: %v", err)
	}
	d.Image = nil
	if _, err := Folds(d, CVSpec{K: 2}, 1); !errors.Is(err, ErrData) {
		t.Fatalf("no image column: %v", err)
	}
}

func TestCrossValidateProtocols(t *testing.T) {
	d := synthDataset(240, 6, 12, 2)
	for _, c := range []struct {
		model string
		cv    CVSpec
	}{{ModelLR, CVSpec{LOO: true}}, {ModelLR, CVSpec{K: 4}}, {ModelLR, CVSpec{}}, {ModelMLP, CVSpec{K: 3}}} {
		r, err := CrossValidate(context.Background(), d, CVOptions{Model: c.model, CV: c.cv, MLP: MLPOptions{Epochs: 60, Batch: 32}})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Complete || r.Evaluated != d.N() || r.AUROC < 0.85 || r.FPBefore != d.CountFP() {
			t.Errorf("%s %s: complete %v, %d rows scored, AUROC %.3f, %d FP", c.model, c.cv, r.Complete, r.Evaluated, r.AUROC, r.FPBefore)
		}
		wantStd := StdFold
		if c.cv.LOO {
			wantStd = StdGlobal
		}
		if r.Standardize != wantStd {
			t.Errorf("%s: standardize %s, want %s", c.cv, r.Standardize, wantStd)
		}
	}
}

func TestCrossValidateInterrupted(t *testing.T) {
	d := synthDataset(100, 4, 10, 3)
	ctx, cancel := context.WithCancel(context.Background())
	opt := CVOptions{Model: ModelLR, CV: CVSpec{}, Workers: 1}
	opt.Progress = func(done, total int) {
		if done == 3 {
			cancel()
		}
	}
	r, err := CrossValidate(ctx, d, opt)
	if !errors.Is(err, ErrInterrupted) || r == nil {
		t.Fatalf("got %v, %v", r, err)
	}
	if r.Complete || r.FoldsDone < 3 || r.FoldsDone >= 10 || r.Evaluated != 10*r.FoldsDone {
		t.Fatalf("partial result %+v", r)
	}
	nan := 0
	for _, p := range r.Prob {
		if math.IsNaN(p) {
			nan++
		}
	}
	if nan != d.N()-r.Evaluated {
		t.Fatalf("%d unscored rows, want %d", nan, d.N()-r.Evaluated)
	}
	if _, err := r.MarshalJSON(); err != nil {
		t.Fatal(err)
	}
}

// TestFoldStandardizationUsesTrainingRowsOnly: an outlier image changes the global scaler but, held out,
// not the scaler of its own fold, so its held-out prediction differs between the two modes.
func TestFoldStandardizationUsesTrainingRowsOnly(t *testing.T) {
	d := synthDataset(120, 3, 6, 4)
	for i := range d.N() {
		if d.Image[i] == "img0" {
			d.X[i*3] += 50
		}
	}
	g, err := CrossValidate(context.Background(), d, CVOptions{Model: ModelLR, CV: CVSpec{}, Standardize: StdGlobal})
	if err != nil {
		t.Fatal(err)
	}
	f, err := CrossValidate(context.Background(), d, CVOptions{Model: ModelLR, CV: CVSpec{}, Standardize: StdFold})
	if err != nil {
		t.Fatal(err)
	}
	if g.Prob[0] == f.Prob[0] {
		t.Fatal("fold and global standardization gave identical held-out scores")
	}
}
