package calib

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildReportWritesFiles(t *testing.T) {
	d := synthDataset(200, 5, 10, 7)
	var log bytes.Buffer
	r, err := BuildReport(context.Background(), d, ReportOptions{
		CV:   []CVSpec{{K: 3}, {LOO: true}},
		Base: CVOptions{MLP: MLPOptions{Epochs: 5, Batch: 32}, Workers: 2},
		Alg1: []int{1, 3, 5}, Log: &log, Source: "synthetic",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.CV) != 4 || len(r.Alg1) != 3 || len(r.Alg1[2].Results) != 2 || len(r.LARS.Order) != 5 || !r.Complete {
		t.Fatalf("report: %d cv, %d alg1 points, lars %v", len(r.CV), len(r.Alg1), r.LARS)
	}
	if r.LARS.Order[0] == r.LARS.Order[1] || r.Alg1[0].Added != r.LARS.Order[0] {
		t.Fatalf("LARS order %v, alg1 first %s", r.LARS.Order, r.Alg1[0].Added)
	}
	dir := t.TempDir()
	if err := r.WriteFiles(dir, d); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{PlotROC, PlotPR, PlotLARS, PlotAlg1} {
		fh, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil || img.Bounds().Dx() < 300 {
			t.Fatalf("%s: %v", f, err)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		CV []map[string]any `json:"cv"`
	}
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"auroc", "auprc", "accuracy", "n_components", "n_false_positive"} {
		if _, ok := back.CV[0][k]; !ok {
			t.Fatalf("report.json cv entry lacks %q", k)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	if !strings.Contains(string(md), "| mlp | loo | global |") || !strings.Contains(string(md), "Algorithm 1") {
		t.Fatalf("markdown:\n%s", md)
	}
	if !strings.Contains(log.String(), "folds") {
		t.Fatalf("no progress lines: %q", log.String())
	}
}

func TestBuildReportInterrupted(t *testing.T) {
	d := synthDataset(100, 4, 10, 8)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, err := BuildReport(ctx, d, ReportOptions{Models: []string{ModelLR}})
	if err == nil || r == nil || r.Complete {
		t.Fatalf("cancelled report: %v %+v", err, r)
	}
	if err := r.WriteFiles(t.TempDir(), d); err != nil {
		t.Fatalf("partial report must still be writable: %v", err)
	}
	if !strings.Contains(r.Markdown(), "Interrupted") {
		t.Fatal("markdown does not say it was interrupted")
	}
}
