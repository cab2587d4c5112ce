package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/metaood/metaood/internal/app"
	"github.com/metaood/metaood/internal/sharedtest"
	"github.com/metaood/metaood/metaclf"
)

// shippedModel is the real-road model committed in models/ (relative to this package's folder).
const shippedModel = "../../models/espnetv2-ood.onnx"

// TestShippedModelAndClassifier: the committed model and its classifier belong together (sha256
// and map size), eval picks the classifier beside the model, and on two RoadAnomaly frames the
// tuned model scores anomalies better than chance with a non-trivial kept set.
func TestShippedModelAndClassifier(t *testing.T) {
	clf, err := metaclf.Load(app.ClassifierBeside(shippedModel))
	if err != nil {
		t.Fatalf("the shipped model needs its classifier beside it: %v", err)
	}
	data, err := os.ReadFile(shippedModel)
	if err != nil {
		t.Fatal(err)
	}
	if err := clf.CheckModel(metaclf.ModelHash(data)); err != nil {
		t.Fatalf("shipped classifier does not fit the shipped model (retrain both with scripts/train-espnetv2-ood.sh): %v", err)
	}
	if err := clf.CheckMapSize(1024, 512); err != nil {
		t.Fatalf("shipped classifier: %v (ESPNetv2's maps are 1024x512)", err)
	}
	ra := sharedtest.Path(t, "data/anomaly-dev/road_anomaly")
	needORT(t)
	out := t.TempDir()
	if err := cmdEval(context.Background(), []string{"--data", ra, "--model", shippedModel, "--classes", "19", "--limit", "2",
		"--overlays=false", "--out", out}); err != nil {
		t.Fatal(err)
	}
	r := evalReadReport(t, out)
	if filepath.Base(r.Classifier.Path) != "espnetv2-ood.metaclf.json" {
		t.Fatalf("eval used classifier %q, want the one beside the model", r.Classifier.Path)
	}
	if p := r.Datasets[0].Pixel; !(p.AUROC > 0.7) {
		t.Fatalf("tuned model pixel AUROC %.3f on two RoadAnomaly frames: want > 0.7 (the base model is near 0.65)", p.AUROC)
	}
}
