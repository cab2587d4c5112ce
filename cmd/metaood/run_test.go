package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/metaood/metaood/capture"
	"github.com/metaood/metaood/config"
	"github.com/metaood/metaood/infer"
	"github.com/metaood/metaood/internal/app"
	"github.com/metaood/metaood/internal/sharedtest"
	"github.com/metaood/metaood/internal/syncbuf"
	"github.com/metaood/metaood/pipeline"
	"github.com/metaood/metaood/render"
	"github.com/metaood/metaood/stream"
)

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// runFor runs the pipeline with a deadline so a hang fails instead of blocking the suite.
func runFor(t *testing.T, c config.Run) (pipeline.Summary, app.Outputs, string, error) {
	t.Helper()
	var stdout bytes.Buffer
	type res struct {
		s   pipeline.Summary
		o   app.Outputs
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
	return pipeline.Summary{}, app.Outputs{}, "", nil
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
	data, err := os.ReadFile(outs.Events)
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
	if len(outs.Videos) != 1 {
		t.Fatalf("videos %v", outs.Videos)
	}
	n, w, h, err := render.ReadVideoInfo(outs.Videos[0])
	if err != nil || n != 20 || w != 256 || h != 128 {
		t.Errorf("video %s: %d frames %dx%d (%v), want 20 256x128", outs.Videos[0], n, w, h, err)
	}
	csvData, _ := os.ReadFile(outs.CSV)
	if rows := strings.Count(string(csvData), "\n"); rows != 21 {
		t.Errorf("csv has %d lines, want 21", rows)
	}
	if outs.Evidence != 2 {
		t.Errorf("evidence PNGs %d, want 2 (frames 0 and 10)", outs.Evidence)
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
		{nil, func(c config.Run) bool {
			return c.WebRTC == "" && c.Video == "annotated.webm" && c.Segment == time.Minute && len(c.Sources) == 1
		}, ""},
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
		{nil, func(c config.Run) bool { return c.ROI == config.SynthROI && c.WorkerNice == 10 }, ""},
		{[]string{"--source", "a.mp4"}, func(c config.Run) bool { return c.ROI == "" }, ""},
		{[]string{"--source", "synth:seed=3", "--source", "synth"}, func(c config.Run) bool { return c.ROI == config.SynthROI }, ""},
		{[]string{"--source", "synth", "--source", "a.mp4"}, func(c config.Run) bool { return c.ROI == "" }, ""},
		{[]string{"--roi", "0,0;1,0;1,0.8;0,0.8"}, func(c config.Run) bool { return c.ROI == "0,0;1,0;1,0.8;0,0.8" }, ""},
		{[]string{"--roi", "0,0;2,0;1,1"}, nil, "--roi"},
		{[]string{"--worker-nice", "20"}, nil, "--worker-nice"},
		{[]string{"--classifier-threshold", "0.8"}, func(c config.Run) bool { return c.ClfThreshold == 0.8 }, ""},
		{[]string{"--classifier-threshold", "1"}, nil, "--classifier-threshold"},
		// inference
		{[]string{"--provider", "cuda", "--allow-fallback", "--device", "1", "--threads", "2", "--ort-lib", "/opt/ort.so"}, func(c config.Run) bool {
			return c.Provider == "cuda" && c.AllowFallback && c.Device == 1 && c.Threads == 2 && c.OrtLib == "/opt/ort.so"
		}, ""},
		{[]string{"--provider", "tensorrt", "--trt-cache", "/tmp/trt", "--trt-fp16"}, func(c config.Run) bool {
			return c.TRTCache == "/tmp/trt" && c.TRTFP16 && !c.AllowFallback
		}, ""},
		{[]string{"--device", "-1"}, nil, "--device"},
		{[]string{"--threads", "-1"}, nil, "--threads"},
		{[]string{"--allow-fallback=maybe"}, nil, "allow-fallback"},
		// live viewer
		{[]string{"--webrtc", "--bitrate", "800", "--max-viewers", "2", "--token", "t"}, func(c config.Run) bool {
			return c.Bitrate == 800 && c.MaxViewers == 2 && c.Token == "t"
		}, ""},
		{[]string{"--bitrate", "10"}, nil, "--bitrate"},
		{[]string{"--max-viewers", "0"}, nil, "--max-viewers"},
		{[]string{"--webrtc=0.0.0.0:8080"}, nil, "--public"},
		{[]string{"--webrtc=0.0.0.0:8080", "--public", "--token", "t"}, func(c config.Run) bool { return c.Public && c.WebRTC == "0.0.0.0:8080" }, ""},
		{[]string{"--webrtc=nonsense"}, nil, "--webrtc"},
		{[]string{"--webrtc=0.0.0.0:8080", "--public", "--token", "t", "--webrtc-udp-port", "8189", "--webrtc-public-ip", "203.0.113.7",
			"--webrtc-ice-server", "stun:stun.example.org", "--webrtc-ice-server", "turn:u:p@turn.example.org", "--webrtc-allow-origin", "https://p.example"},
			func(c config.Run) bool {
				return c.UDPPort == 8189 && slices.Equal(c.PublicIPs, []string{"203.0.113.7"}) && len(c.ICEServers) == 2 &&
					slices.Equal(c.AllowOrigins, []string{"https://p.example"})
			}, ""},
		{[]string{"--webrtc-udp-port", "-1"}, nil, "--webrtc-udp-port"},
		{[]string{"--webrtc-public-ip", "203.0.113.7"}, nil, "--public"},
		{[]string{"--webrtc-allow-origin", "*", "--token", "t"}, nil, "--webrtc-allow-origin"},
		// --webrtc on the default drive: endless, real time, events off stdout
		{[]string{"--webrtc"}, func(c config.Run) bool {
			return slices.Equal(c.Sources, []string{liveSynth}) && c.Realtime && !c.Stdout && c.Frames == 0
		}, ""},
		{[]string{"--webrtc", "--stdout"}, func(c config.Run) bool { return c.Sources[0] == liveSynth && c.Stdout }, ""},
		{[]string{"--webrtc", "--replay"}, func(c config.Run) bool {
			return slices.Equal(c.Sources, config.Default().Sources) && !c.Realtime && c.Stdout
		}, ""},
		{[]string{"--webrtc", "--source", "a.mp4"}, func(c config.Run) bool {
			return slices.Equal(c.Sources, []string{"a.mp4"}) && !c.Realtime && c.Stdout
		}, ""},
		{nil, func(c config.Run) bool {
			return slices.Equal(c.Sources, config.Default().Sources) && !c.Realtime && c.Stdout
		}, ""},
		// event outputs
		{nil, func(c config.Run) bool {
			return slices.Equal(c.WebhookEvents, config.DefaultWebhookEvents) && slices.Equal(c.FileEvents, []string{"all"}) && c.MQTT == ""
		}, ""},
		{[]string{"--webhook-events", "emergency,clear", "--stdout-events", "stats"}, func(c config.Run) bool {
			return slices.Equal(c.WebhookEvents, []string{"emergency", "clear"}) && slices.Equal(c.StdoutEvents, []string{"stats"})
		}, ""},
		{[]string{"--webhook-events", "emergncy"}, nil, `--webhook-events): bad event type: "emergncy"; valid types: anomalies, emergency, clear, source, stats, or all`},
		{[]string{"--mqtt", "tcp://127.0.0.1:1883", "--mqtt-prefix", "rigs/car7", "--mqtt-user", "rig", "--mqtt-events", "all"}, func(c config.Run) bool {
			return c.MQTT == "tcp://127.0.0.1:1883" && c.MQTTPrefix == "rigs/car7" && c.MQTTUser == "rig" && slices.Equal(c.MQTTEvents, []string{"all"})
		}, ""},
		{[]string{"--mqtt", "127.0.0.1:1883"}, nil, "--mqtt"},
		{[]string{"--mqtt", "tcp://broker", "--mqtt-prefix", "a/#"}, nil, "--mqtt-prefix"},
		{[]string{"--mqtt-user", "rig"}, nil, "give --mqtt"},
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
	if sum.Frames != 5 || len(outs.Videos) != 1 {
		t.Fatalf("summary %+v, videos %v", sum, outs.Videos)
	}
	if n, w, h, err := render.ReadVideoInfo(outs.Videos[0]); err != nil || n != 5 || w != 960 || h != 540 {
		t.Errorf("video: %d frames %dx%d (%v)", n, w, h, err)
	}
	if fps := videoFPSOf(t, outs.Videos[0]); fps != 25 {
		t.Errorf("video at %v fps, want the clip's 25", fps)
	}
}

// TestRunWithLiveViewer: with --webrtc the viewer's /metrics serves the whole run's registry
// (pipeline, inference, capture, stream) while an endless source runs; cancelling the context
// (Ctrl-C) then ends the run with its outputs finalized.
func TestRunWithLiveViewer(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c := config.Default()
	c.Sources = []string{"synth:frames=0,size=128x64"} // endless
	c.Out = t.TempDir()
	c.Stdout = false
	c.Video = "annotated.avi"
	c.WebRTC = "127.0.0.1:0" // a free port
	c.Token = "tk"
	info := &syncBuffer{}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	type res struct {
		s   pipeline.Summary
		o   app.Outputs
		err error
	}
	done := make(chan res, 1)
	go func() {
		s, o, err := runPipeline(ctx, c, quietLog(), io.Discard, info)
		done <- res{s, o, err}
	}()
	url := ""
	var metrics string
	want := []string{"metaood_frames_total", "metaood_stage_seconds", "metaood_infer_frames_total",
		"metaood_capture_frames_total", "metaood_stream_events_sent_total"}
	deadline := time.Now().Add(30 * time.Second)
	for ; time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if url == "" {
			_, after, ok := strings.Cut(info.String(), "open  ")
			if !ok || !strings.Contains(after, "\n") {
				continue
			}
			url = strings.TrimSpace(after[:strings.Index(after, "\n")])
			url = strings.Split(url, "?")[0] + "metrics"
		}
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer tk")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		metrics = string(b)
		if resp.StatusCode == 200 && strings.Contains(metrics, "metaood_frames_total{") {
			break
		}
	}
	for _, name := range want {
		if !strings.Contains(metrics, name) {
			t.Errorf("viewer %s lacks %s:\n%s", url, name, metrics)
		}
	}
	if !strings.Contains(info.String(), "Ctrl-C") {
		t.Errorf("no Ctrl-C hint in:\n%s", info.String())
	}
	stop() // Ctrl-C
	var r res
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("run did not stop within 60 s of cancel")
	}
	if r.err != nil || r.s.Frames == 0 || !strings.HasPrefix(r.o.Viewer, "http://127.0.0.1:") {
		t.Fatalf("err %v, frames %d, viewer %q", r.err, r.s.Frames, r.o.Viewer)
	}
	if n, _, _, err := render.ReadVideoInfo(r.o.Videos[0]); err != nil || n != int(r.s.Frames) {
		t.Errorf("video after cancel: %d frames (%v), want %d", n, err, r.s.Frames)
	}
	if ev, _ := os.ReadFile(r.o.Events); !strings.Contains(string(ev), `"state":"ended","detail":"stopped"`) {
		t.Errorf("events end without a stopped source:\n%.2000s", ev)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and a polling reader.
// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer = syncbuf.Buffer

// TestOutputVideoFPS: the annotated video runs at its source's frame rate.
func TestOutputVideoFPS(t *testing.T) {
	cases := []struct {
		source string
		fps    float64
	}{
		{"synth:frames=3,size=128x64,fps=12", 12},
		{"synth:frames=3,size=128x64", 30},
	}
	for _, k := range cases {
		c := config.Default()
		c.Sources = []string{k.source}
		c.Out = t.TempDir()
		c.Stdout = false
		_, outs, _, err := runFor(t, c)
		if err != nil {
			t.Fatal(err)
		}
		if got := videoFPSOf(t, outs.Videos[0]); got != k.fps {
			t.Errorf("%s: video at %v fps, want %v", k.source, got, k.fps)
		}
	}
}

// videoFPSOf is the frame rate a video file declares, as capture reads it.
func videoFPSOf(t *testing.T, path string) float64 {
	t.Helper()
	src, err := capture.Open(path, capture.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return src.(interface{ FPS() float64 }).FPS()
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
	if len(outs.Videos) > 0 {
		if n, _, _, err := render.ReadVideoInfo(outs.Videos[0]); err != nil || n != int(sum.Frames) {
			t.Errorf("video has %d frames (%v), want %d", n, err, sum.Frames)
		}
	}
	// The source event that ends it says so, with the count of frames lost, and so does the summary.
	want := fmt.Sprintf(`"state":"ended","detail":"ended early: truncated or corrupt: video %s ended after %d of 221 frames (%d unreadable)"`,
		cut, sum.Frames, 221-sum.Frames)
	if ev, _ := os.ReadFile(outs.Events); !strings.Contains(string(ev), want) {
		t.Errorf("no %s in the events of the truncated clip:\n%s", want, ev)
	}
	var buf bytes.Buffer
	printSummary(&buf, c, sum, outs)
	if len(outs.Early) != 1 || !strings.Contains(buf.String(), "ended early: cut.mp4: truncated or corrupt") {
		t.Errorf("early ends %q; summary:\n%s", outs.Early, buf.String())
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
	if sum.PerSource["a"] != 6 || sum.PerSource["b"] != 4 || len(outs.Videos) != 2 {
		t.Fatalf("per source %v, videos %v", sum.PerSource, outs.Videos)
	}
	// Each source's frames reach the outputs in order (the CSV has one row per frame).
	data, _ := os.ReadFile(outs.CSV)
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
	for _, v := range outs.Videos {
		if n, _, _, err := render.ReadVideoInfo(v); err != nil || (n != 6 && n != 4) {
			t.Errorf("%s: %d frames (%v)", v, n, err)
		}
	}
}

// TestRunInferAndViewerOptions: the inference and viewer settings reach infer and stream: a GPU
// provider on this CPU-only ONNX Runtime is an error unless the fallback is allowed, and a
// public viewer without a token is refused.
func TestRunInferAndViewerOptions(t *testing.T) {
	cases := []struct {
		name    string
		mod     func(*config.Run)
		err     error
		wantLog string
	}{
		{"cuda without fallback", func(c *config.Run) { c.Provider = "cuda" }, infer.ErrProvider, ""},
		{"cuda with fallback", func(c *config.Run) { c.Provider = "cuda"; c.AllowFallback = true; c.Threads = 1 }, nil, "falling back to the CPU"},
		{"public without token", func(c *config.Run) { c.WebRTC = "127.0.0.1:0"; c.Public = true }, stream.ErrPublic, ""},
		{"trt options on cpu", func(c *config.Run) { c.TRTFP16 = true }, nil, "--trt-fp16 apply to --provider tensorrt only"},
	}
	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			c := config.Default()
			c.Sources = []string{"synth:frames=2,size=64x32"}
			c.Out = t.TempDir()
			c.Stdout = false
			k.mod(&c)
			var logBuf syncBuffer
			log := slog.New(slog.NewTextHandler(&logBuf, nil))
			sum, _, err := runPipeline(context.Background(), c, log, io.Discard, io.Discard)
			if k.err != nil {
				if !errors.Is(err, k.err) {
					t.Fatalf("err = %v, want %v", err, k.err)
				}
				return
			}
			if err != nil || sum.Frames != 2 {
				t.Fatalf("err %v, %d frames", err, sum.Frames)
			}
			if !strings.Contains(logBuf.String(), k.wantLog) {
				t.Errorf("log lacks %q:\n%s", k.wantLog, logBuf.String())
			}
		})
	}
}

// TestRunFailure: a run whose outputs, sources or frames all failed, or whose file ended early,
// exits non-zero; a normal one does not, nor an early end with --allow-partial.
func TestRunFailure(t *testing.T) {
	for _, tc := range []struct {
		s    pipeline.Summary
		want error
	}{
		{pipeline.Summary{Frames: 10}, nil},
		{pipeline.Summary{Frames: 10, SourceErrors: []string{"cam2: lost"}}, nil},
		{pipeline.Summary{Frames: 0, SourceErrors: []string{"rtsp: refused"}}, errNoFrames},
		{pipeline.Summary{Frames: 10, SinkErrors: []string{"events: disk full"}}, errOutputFailed},
		{pipeline.Summary{Frames: 10, FrameErrors: 10, FirstErrors: []string{"NaN"}}, errAllFramesFailed},
		{pipeline.Summary{Frames: 10, FrameErrors: 9}, nil},
		{pipeline.Summary{Frames: 7, EarlyEnds: []string{"cut.mp4: truncated"}}, errEndedEarly},
	} {
		if err := runFailure(config.Default(), tc.s); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%+v: %v, want %v", tc.s, err, tc.want)
		}
	}
	partial := config.Default()
	partial.AllowPartial = true
	if err := runFailure(partial, pipeline.Summary{Frames: 7, EarlyEnds: []string{"cut.mp4: truncated"}}); err != nil {
		t.Errorf("--allow-partial: %v, want nil", err)
	}
}
