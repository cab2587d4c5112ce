package calib

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/metaood/metaood/internal/sharedtest"
)

// anchors are sklearn's figures on the shared dataset (../shared/conformance/anchors.json).
type anchors struct {
	N    int                                      `json:"n_components"`
	NFP  int                                      `json:"n_fp"`
	LOO  struct{ AUROC, AUPRC, Accuracy float64 } `json:"lr_loo_component"`
	LOIO struct{ AUROC, AUPRC, Accuracy float64 } `json:"lr_leave_one_image_out"`
}

func loadShared(t *testing.T) (*Dataset, anchors) {
	t.Helper()
	dir := sharedtest.Path(t, "conformance")
	d, err := ReadCSVFile(filepath.Join(dir, "dataset.csv"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "anchors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var a anchors
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	return d, a
}

// TestLRMatchesSklearn checks LR against sklearn's liblinear under the paper's standardization, both
// leave-one-component-out and leave-one-image-out, within 0.002 AUROC (and AUPRC).
func TestLRMatchesSklearn(t *testing.T) {
	d, a := loadShared(t)
	if d.N() != a.N || d.CountFP() != a.NFP {
		t.Fatalf("dataset has %d rows, %d FP; anchors say %d, %d", d.N(), d.CountFP(), a.N, a.NFP)
	}
	cases := []struct {
		name string
		cv   CVSpec
		want struct{ AUROC, AUPRC, Accuracy float64 }
	}{
		{"loo", CVSpec{LOO: true}, a.LOO},
		{"leave-one-image-out", CVSpec{}, a.LOIO},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := CrossValidate(context.Background(), d, CVOptions{Model: ModelLR, CV: c.cv, Standardize: StdGlobal})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: AUROC %.5f (sklearn %.5f) AUPRC %.5f (%.5f) acc %.4f (%.4f) in %.2fs",
				c.name, r.AUROC, c.want.AUROC, r.AUPRC, c.want.AUPRC, r.Accuracy, c.want.Accuracy, r.Seconds)
			if math.Abs(r.AUROC-c.want.AUROC) > 0.002 || math.Abs(r.AUPRC-c.want.AUPRC) > 0.002 {
				t.Errorf("AUROC %.5f / AUPRC %.5f, sklearn %.5f / %.5f (tolerance 0.002)", r.AUROC, r.AUPRC, c.want.AUROC, c.want.AUPRC)
			}
			if math.Abs(r.Accuracy-c.want.Accuracy) > 0.005 {
				t.Errorf("accuracy %.4f, sklearn %.4f", r.Accuracy, c.want.Accuracy)
			}
			if r.Components != a.N || r.FPBefore != a.NFP {
				t.Errorf("counts %+v", r.Counts)
			}
		})
	}
}
