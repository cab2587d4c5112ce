package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"metaood/config"
	"metaood/internal/sharedtest"
	"metaood/pipeline"
	"metaood/render"
)

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// runFor runs the pipeline with a deadline so a hang fails instead of blocking the suite.
func runFor(t *testing.T, c config.Run) (pipeline.Summary, outputs, string, error) {
	t.Helper()
	var stdout bytes.Buffer
	type res struct {
		s   pipeline.Summary
		o   outputs
		err error
	}
	done := make(chan res, 1)
	go func() {
		s, o, err := runPipeline(context.Background(), c, quietLog(), &stdout, io.Discard)
		done <- res{s, o, err}
	}()
	select {
	case r := <-done:
		return r.s, r.o, stdout.String(), r.err
	case <-time.After(90 * time.Second):
		t.Fatal("run did not finish in 90 s")
	}
	return pipeline.Summary{}, outputs{}, "", nil
}

func TestRunEndToEndTinyModel(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c := config.Default()
	c.Sources = []string{"synth:frames=20,size=256x128"}
	c.Out = t.TempDir()
	c.Video = "annotated.avi"
	c.Evidence = 10
	mats := runOpenMats()
	sum, outs, stdout, err := runFor(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if n := runOpenMats(); n != mats {
		t.Errorf("%d gocv Mats leaked by a run (-tags matprofile)", n-mats)
	}
	if sum.Frames != 20 || sum.PerSource["synth"] != 20 || sum.FrameErrors != 0 {
		t.Errorf("summary %+v", sum)
	}
	data, err := os.ReadFile(outs.events)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var first, last map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[len(lines)-1]), &last)
	if first["type"] != "source" || first["state"] != "opened" || last["state"] != "ended" {
		t.Errorf("events start %v, end %v", first, last)
	}
	if stdout != string(data) {
		t.Errorf("stdout events differ from the events file (%d vs %d bytes)", len(stdout), len(data))
	}
	if len(outs.videos) != 1 {
		t.Fatalf("videos %v", outs.videos)
	}
	n, w, h, err := render.ReadVideoInfo(outs.videos[0])
	if err != nil || n != 20 || w != 256 || h != 128 {
		t.Errorf("video %s: %d frames %dx%d (%v), want 20 256x128", outs.videos[0], n, w, h, err)
	}
	csvData, _ := os.ReadFile(outs.csv)
	if rows := strings.Count(string(csvData), "\n"); rows != 21 {
		t.Errorf("csv has %d lines, want 21", rows)
	}
	if outs.evidence != 2 {
		t.Errorf("evidence PNGs %d, want 2 (frames 0 and 10)", outs.evidence)
	}
}

func TestRunErrorsBeforeWork(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, []byte("x"), 0o644)
	notModel := filepath.Join(dir, "model.onnx")
	os.WriteFile(notModel, []byte("not a model"), 0o644)
	cases := []struct {
		name string
		mod  func(*config.Run)
		want string
	}{
		{"unwritable out", func(c *config.Run) { c.Out = filepath.Join(blocker, "sub") }, "--out"},
		{"missing model", func(c *config.Run) { c.Model = filepath.Join(dir, "none.onnx") }, "none.onnx"},
		{"broken model", func(c *config.Run) { c.Model = notModel }, "model.onnx"},
		{"missing source", func(c *config.Run) { c.Sources = []string{filepath.Join(dir, "clip.mp4")} }, "clip.mp4"},
		{"classifier", func(c *config.Run) { c.Classifier = filepath.Join(dir, "none.json") }, "none.json"},
	}
	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			c := config.Default()
			c.Out = filepath.Join(dir, "out-"+strings.ReplaceAll(k.name, " ", "-"))
			k.mod(&c)
			_, _, _, err := runFor(t, c)
			if err == nil || !strings.Contains(err.Error(), k.want) || strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("err = %v, want one line naming %q", err, k.want)
			}
		})
	}
	if _, _, _, err := runFor(t, func() config.Run { c := config.Default(); c.Out = filepath.Join(blocker, "sub"); return c }()); !errors.Is(err, pipeline.ErrOutDir) {
		t.Errorf("unwritable out: %v is not ErrOutDir", err)
	}
}

func TestParseRunFlags(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "m.yml")
	os.WriteFile(cfgFile, []byte("batch: 4\nthreshold: 0.5\n"), 0o644)
	cases := []struct {
		args  []string
		check func(config.Run) bool
		err   string
	}{
		{nil, func(c config.Run) bool { return c.WebRTC == "" && c.Video == "annotated.mp4" && len(c.Sources) == 1 }, ""},
		{[]string{"--webrtc"}, func(c config.Run) bool { return c.WebRTC == "127.0.0.1:8080" }, ""},
		{[]string{"--webrtc=127.0.0.1:9999"}, func(c config.Run) bool { return c.WebRTC == "127.0.0.1:9999" }, ""},
		{[]string{"--no-video"}, func(c config.Run) bool { return c.Video == "" }, ""},
		{[]string{"--source", "a.mp4", "--source", "cam:0"}, func(c config.Run) bool { return strings.Join(c.Sources, ",") == "a.mp4,cam:0" }, ""},
		{[]string{"--realtime", "--replay"}, func(c config.Run) bool { return !c.Realtime }, ""},
		{[]string{"--config", cfgFile}, func(c config.Run) bool { return c.Batch == 4 && c.Threshold == 0.5 }, ""},
		{[]string{"--config", cfgFile, "--batch", "2"}, func(c config.Run) bool { return c.Batch == 2 && c.Threshold == 0.5 }, ""},
		{[]string{"--threshold", "2"}, nil, "--threshold"},
		{[]string{"--bogus"}, nil, "unknown flag: --bogus"},
		{[]string{"extra"}, nil, "unexpected argument"},
		{[]string{"--config", filepath.Join(dir, "none.yml")}, nil, "none.yml"},
		{[]string{"--corridor", "0,0;1,1"}, nil, "--corridor"},
	}
	for _, c := range cases {
		got, err := parseRunFlags(c.args, io.Discard)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: err = %v, want %q", c.args, err, c.err)
			}
			continue
		}
		if err != nil || !c.check(got) {
			t.Errorf("%v: %+v, %v", c.args, got, err)
		}
	}
}

// TestReplayRealVideo replays a few frames of the shared dashcam clip through the built-in model
// (the Cityscapes model is too slow for a unit test on CPU; `metaood run` does that).
func TestReplayRealVideo(t *testing.T) {
	clip := sharedtest.Path(t, "video/udacity_solidWhiteRight.mp4")
	mats := runOpenMats()
	defer func() {
		if n := runOpenMats(); n != mats {
			t.Errorf("%d gocv Mats leaked by a run (-tags matprofile)", n-mats)
		}
	}()
	c := config.Default()
	c.Sources = []string{clip}
	c.Frames = 5
	c.Out = t.TempDir()
	c.Stdout = false
	sum, outs, _, err := runFor(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Frames != 5 || len(outs.videos) != 1 {
		t.Fatalf("summary %+v, videos %v", sum, outs.videos)
	}
	if n, w, h, err := render.ReadVideoInfo(outs.videos[0]); err != nil || n != 5 || w != 960 || h != 540 {
		t.Errorf("video: %d frames %dx%d (%v)", n, w, h, err)
	}
}

func TestRunWithLiveViewer(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c := config.Default()
	c.Sources = []string{"synth:frames=4,size=128x64"}
	c.Out = t.TempDir()
	c.Stdout = false
	c.WebRTC = "127.0.0.1:0" // a free port
	sum, outs, _, err := runFor(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Frames != 4 || !strings.HasPrefix(outs.viewer, "http://127.0.0.1:") {
		t.Errorf("frames %d, viewer %q", sum.Frames, outs.viewer)
	}
}

// TestTruncatedVideo: a clip cut short is replayed up to where it breaks; the run reports the
// frames it got and finalizes the outputs.
func TestTruncatedVideo(t *testing.T) {
	clip := sharedtest.Path(t, "video/udacity_solidWhiteRight.mp4")
	data, err := os.ReadFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cut := filepath.Join(dir, "cut.mp4")
	os.WriteFile(cut, data[:len(data)/20], 0o644)
	c := config.Default()
	c.Sources = []string{cut}
	c.Out = filepath.Join(dir, "out")
	c.Stdout = false
	c.Video = "annotated.avi"
	sum, outs, _, err := runFor(t, c)
	if err != nil {
		// Refused at open is fine too, as long as it is one line naming the file.
		if !strings.Contains(err.Error(), "cut.mp4") || strings.Contains(err.Error(), "\n") {
			t.Fatalf("err = %v", err)
		}
		return
	}
	t.Logf("truncated clip: %d frames, source errors %v", sum.Frames, sum.SourceErrors)
	if len(outs.videos) > 0 {
		if n, _, _, err := render.ReadVideoInfo(outs.videos[0]); err != nil || n != int(sum.Frames) {
			t.Errorf("video has %d frames (%v), want %d", n, err, sum.Frames)
		}
	}
	if ev, _ := os.ReadFile(outs.events); !strings.Contains(string(ev), `"state":"ended"`) && !strings.Contains(string(ev), `"state":"lost"`) {
		t.Errorf("no end/lost event for the truncated clip:\n%s", ev)
	}
}

func TestRunTwoSources(t *testing.T) {
	c := config.Default()
	c.Sources = []string{"a=synth:frames=6,size=128x64", "b=synth:seed=2,frames=4,size=64x32"}
	c.Out = t.TempDir()
	c.Stdout = false
	c.Video = "v.avi"
	sum, outs, _, err := runFor(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if sum.PerSource["a"] != 6 || sum.PerSource["b"] != 4 || len(outs.videos) != 2 {
		t.Fatalf("per source %v, videos %v", sum.PerSource, outs.videos)
	}
	// Each source's frames reach the outputs in order (the CSV has one row per frame).
	data, _ := os.ReadFile(outs.csv)
	last := map[string]int{"a": -1, "b": -1}
	rows := strings.Split(strings.TrimSpace(string(data)), "\n")[1:]
	for _, row := range rows {
		f := strings.Split(row, ",")
		n, _ := strconv.Atoi(f[1])
		if n != last[f[0]]+1 {
			t.Errorf("source %s: frame %d after %d", f[0], n, last[f[0]])
		}
		last[f[0]] = n
	}
	if len(rows) != 10 {
		t.Errorf("%d CSV rows, want 10", len(rows))
	}
	for _, v := range outs.videos {
		if n, _, _, err := render.ReadVideoInfo(v); err != nil || (n != 6 && n != 4) {
			t.Errorf("%s: %d frames (%v)", v, n, err)
		}
	}
}
