package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/metaood/metaood/internal/sharedtest"
	"github.com/metaood/metaood/onnx"
)

// realTrainArgs returns the arguments of a small `train ood` run on the real ESPNetv2 (two KITTI
// composites), with the cache in dir and extra flags before --out, and the shared data folder.
func realTrainArgs(t *testing.T, dir, out string, extra ...string) (args []string, data string) {
	t.Helper()
	needORT(t)
	model := sharedtest.Path(t, "models/espnetv2_s2.0_cityscapes_512x1024_rgb01.onnx")
	data = sharedtest.Path(t, "data")
	args = []string{"--model", model, "--backgrounds", filepath.Join(data, "road/kitti/testing"),
		"--proxies", filepath.Join(data, "proxies/coco128_panoptic"), "--count", "2", "--cache", filepath.Join(dir, "cache")}
	return append(append(args, extra...), "--out", out), data
}

// TestTrainOODReal fine-tunes the real ESPNetv2's tail on two composites for one epoch: the
// written model keeps its inputs and outputs, records its provenance, and ONNX Runtime running it
// agrees with the Go forward pass (checked inside the command; an error fails the test).
func TestTrainOODReal(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "tuned.onnx")
	args, _ := realTrainArgs(t, dir, out, "--epochs", "1", "--batch", "2")
	if err := trainOOD(context.Background(), args); err != nil {
		t.Fatal(err)
	}
	m, err := onnx.LoadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if ins, outs := m.Inputs(), m.Outputs(); len(ins) != 1 || ins[0] != "input" || len(outs) != 1 || outs[0] != "logits" {
		t.Fatalf("inputs %v outputs %v: the tuned model must keep the original's", ins, outs)
	}
	for _, k := range []string{"metaood.finetune.base_sha256", "metaood.finetune.cut", "metaood.finetune.command", "metaood.finetune.epoch_losses"} {
		if v, ok := m.Metadata(k); !ok || v == "" {
			t.Errorf("provenance %s missing", k)
		}
	}
	if _, err := os.Stat(strings.TrimSuffix(out, ".onnx") + ".ckpt.onnx"); !os.IsNotExist(err) {
		t.Errorf("the checkpoint should be removed after a finished run: %v", err)
	}
	// A second run finds every feature in the cache and resumes from nothing: same command works.
	if err := trainOOD(context.Background(), args); err != nil {
		t.Fatalf("rerun with a warm cache: %v", err)
	}
}

// TestTrainOODHeadReal adds a small residual head to the real ESPNetv2 (two composites, one
// epoch): the command's own check that ONNX Runtime equals the Go forward pass must hold, and the
// provenance must not hold this machine's absolute paths.
func TestTrainOODHeadReal(t *testing.T) {
	m, dir, data := trainRealHead(t, "--head-context", "3")
	cmd, _ := m.Metadata("metaood.finetune.command")
	if strings.Contains(cmd, dir) || strings.Contains(cmd, data) || !strings.Contains(cmd, "--head 8") {
		t.Fatalf("provenance command %q: want the flags without absolute paths", cmd)
	}
}

// trainRealHead trains a width-8 head on the real ESPNetv2 for one epoch with extra flags and
// returns the written model, the temporary folder and the shared data folder.
func trainRealHead(t *testing.T, extra ...string) (m *onnx.Model, dir, data string) {
	t.Helper()
	dir = t.TempDir()
	out := filepath.Join(dir, "head.onnx")
	args, data := realTrainArgs(t, dir, out, append([]string{"--epochs", "1", "--head", "8",
		"--head-input", "/m/bu_br_l4/bu_br_l4.1/PRelu_output_0"}, extra...)...)
	if err := trainOOD(context.Background(), args); err != nil {
		t.Fatal(err)
	}
	m, err := onnx.LoadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return m, dir, data
}

// TestTrainOODEnsembleReal: --ensemble 2 trains two temperature heads on their own composites and
// writes both, averaged, into the graph; ONNX Runtime running it agrees with the Go forward pass
// (checked inside the command).
func TestTrainOODEnsembleReal(t *testing.T) {
	m, _, _ := trainRealHead(t, "--ensemble", "2")
	for _, w := range []string{"metaood_head.m0.w0", "metaood_head.m1.w2"} {
		if _, _, err := m.Initializer(w); err != nil {
			t.Errorf("weights %s: %v", w, err)
		}
	}
	desc, _ := m.Metadata("metaood.finetune.head")
	data, _ := m.Metadata("metaood.finetune.data")
	if !strings.Contains(desc, "ensemble of 2") || !strings.Contains(data, "seed 1;") || !strings.Contains(data, "seed 2") {
		t.Fatalf("provenance: head %q, data %q", desc, data)
	}
}

// TestTrainOODErrors: bad inputs fail before any work, naming what is wrong.
func TestTrainOODErrors(t *testing.T) {
	needORT(t)
	dir := t.TempDir()
	tiny := filepath.Join(dir, "tiny.onnx")
	if err := os.WriteFile(tiny, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	proxies := filepath.Join(dir, "proxies")
	os.MkdirAll(filepath.Join(proxies, "images"), 0o755)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no model", []string{"--out", "x.onnx"}, "--model and --out are required"},
		{"missing model", []string{"--model", filepath.Join(dir, "nope.onnx"), "--out", "x.onnx"}, "does not exist"},
		{"not onnx", []string{"--model", tiny, "--out", "x.onnx"}, "not a usable model"},
		{"bad share", []string{"--model", tiny, "--out", "x.onnx", "--share", "0.5-0.1"}, ""},
		{"bad flag", []string{"--epochz", "3"}, "unknown flag"},
		{"ensemble without a head", []string{"--model", tiny, "--out", "x.onnx", "--ensemble", "3"}, "needs --head"},
		{"ensemble of none", []string{"--model", tiny, "--out", "x.onnx", "--ensemble", "0", "--head", "8"}, "--ensemble 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := trainOOD(context.Background(), c.args)
			if err == nil || (c.want != "" && !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	// A model without a supported tail names the problem (the built-in tiny model ends in a 1×1
	// conv chain with ReLU, which is not supported at the default cut... or is: then the cut flag
	// pointing nowhere must fail).
	real := sharedtest.Path(t, "models/espnetv2_s2.0_cityscapes_512x1024_rgb01.onnx")
	err := trainOOD(context.Background(), []string{"--model", real, "--cut", "no_such_value", "--out", filepath.Join(dir, "o.onnx"),
		"--backgrounds", dir, "--proxies", proxies})
	if err == nil || !strings.Contains(err.Error(), "no_such_value") {
		t.Fatalf("unknown cut: %v", err)
	}
	// Proxies without masks.
	os.WriteFile(filepath.Join(proxies, "images", "a.png"), []byte{}, 0o644)
	err = trainProxies(context.Background(), []string{"--backgrounds", dir, "--proxies", proxies, "--out", filepath.Join(dir, "px")})
	if err == nil || !strings.Contains(err.Error(), "has no mask") {
		t.Fatalf("proxy without mask: %v", err)
	}
	if err := trainProxies(context.Background(), []string{"--out", dir}); !errors.Is(err, errUsage) {
		t.Fatalf("no backgrounds: %v", err)
	}
}

// TestTrainOODInterruptResume: Ctrl-C during training keeps the last finished epoch as a
// checkpoint, and --resume goes on from it to the end.
func TestTrainOODInterruptResume(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "tuned.onnx")
	ckpt := filepath.Join(dir, "tuned.ckpt.onnx")
	args, _ := realTrainArgs(t, dir, out, "--epochs", "40", "--batch", "1")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- trainOOD(ctx, args) }()
	deadline := time.After(3 * time.Minute)
	for {
		if _, err := os.Stat(ckpt); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("training ended before its first checkpoint: %v", err)
		case <-deadline:
			cancel()
			t.Fatal("no checkpoint after 3 minutes")
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(3 * time.Minute):
		t.Fatal("training did not stop after cancel")
	}
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("interrupted run: %v (want context.Canceled and a hint to --resume)", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("an interrupted run must not write --out: %v", err)
	}
	m, err := onnx.LoadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	ep, _ := m.Metadata("metaood.finetune.epoch")
	// Resume with fewer epochs left: it finishes from the checkpoint and removes it.
	resume, _ := realTrainArgs(t, dir, out, "--epochs", "2", "--batch", "1", "--resume")
	if err := trainOOD(context.Background(), resume); err != nil {
		t.Fatalf("resume from epoch %s: %v", ep, err)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("resumed run wrote nothing: %v", err)
	}
}
