package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/metaood/metaood/config"
	"github.com/metaood/metaood/fleet"
	"github.com/metaood/metaood/infer"
	"github.com/metaood/metaood/internal/app"
	"github.com/metaood/metaood/internal/progress"
	"github.com/metaood/metaood/internal/sdnotify"
	"github.com/metaood/metaood/pipeline"
	"github.com/metaood/metaood/stream"
)

// runFlags binds the flags of `metaood run` to c (whose values are the defaults shown).
func runFlags(c *config.Run, fs *pflag.FlagSet) (cfgFile *string, noVideo, replay *bool) {
	fs.SortFlags = false
	cfgFile = fs.String("config", "", "YAML settings file (see metaood.yml); flags override it")
	fs.StringArrayVar(&c.Sources, "source", c.Sources, "input, repeatable: video file, image folder/glob, cam:N, rtsp:// URL, gst:<pipeline>, synth[:seed=1,frames=300,size=1024x512]")
	fs.BoolVar(&c.Realtime, "realtime", c.Realtime, "pace files/synth at their frame rate and drop frames when behind (live)")
	replay = fs.Bool("replay", false, "process every frame as fast as possible (the default for files and synth)")
	fs.IntVar(&c.Frames, "frames", c.Frames, "stop after N frames in all (0 = until the sources end)")
	fs.StringVar(&c.Model, "model", c.Model, "segmentation model .onnx (default: the built-in tiny model)")
	fs.StringVar(&c.Preset, "preset", c.Preset, "input preprocessing: rgb01 | imagenet | bgr01 | bgr-imagenet")
	fs.IntVar(&c.Classes, "classes", c.Classes, "keep the first K output channels (19 for Cityscapes exports with a void channel; 0 = all)")
	fs.StringVar(&c.InputSize, "input-size", c.InputSize, "WxH to run a dynamic-size model at (default: the map size the meta classifier was trained at, else the frame size)")
	fs.BoolVar(&c.Probs, "probs", c.Probs, "the model outputs probabilities, not logits")
	bindMachineFlags(fs, c)
	fs.StringVar(&c.ROI, "roi", c.ROI, "region of interest polygon \"x,y;x,y;…\" in fractions of the frame; pixels outside are never anomalies (e.g. the ego hood); default: the whole frame")
	fs.Float64Var(&c.Threshold, "threshold", c.Threshold, "normalized-entropy threshold of the anomaly mask")
	fs.StringVar(&c.Classifier, "classifier", c.Classifier, "meta classifier JSON (default: NAME.metaclf.json beside --model NAME.onnx if it exists, else the built-in one, made for the built-in model)")
	fs.BoolVar(&c.Force, "force", c.Force, "use a meta classifier trained for another model or map size anyway (a warning instead of an error)")
	fs.Float64Var(&c.ClfThreshold, "classifier-threshold", c.ClfThreshold, "remove a component when its P(false positive) exceeds this (0 = the classifier file's, usually 0.5); lower keeps fewer false alarms, higher misses fewer anomalies")
	fs.StringVar(&c.Out, "out", c.Out, "output folder (default ./out/run-<timestamp>)")
	fs.StringVar(&c.Video, "video", c.Video, "annotated video file name in --out: .webm (VP8 at --video-bitrate; browsers play it) or .mp4, .avi, .mkv (OpenCV's writer)")
	noVideo = fs.Bool("no-video", false, "write no annotated video")
	fs.DurationVar(&c.Segment, "segment", c.Segment, "start a new video file every DURATION of video (NAME-0000.webm, …), each playable once closed; a crash loses only the open one (0 = one file)")
	fs.IntVar(&c.VideoBitrate, "video-bitrate", c.VideoBitrate, "target bitrate of a .webm video and of the event clips, kbps")
	fs.StringVar(&c.VideoCodec, "video-codec", c.VideoCodec, "codec of an .mp4/.avi/.mkv video: h264 (browsers play it; ~4x smaller than mp4v, costlier to encode) | mp4v | mjpg (default: the file type's)")
	fs.IntVar(&c.RetainMB, "retain-mb", c.RetainMB, "with --segment: delete the oldest closed segments beyond N MiB (0 = keep all)")
	fs.DurationVar(&c.RetainAge, "retain-age", c.RetainAge, "with --segment: delete closed segments older than DURATION, e.g. 24h (0 = keep them)")
	fs.DurationVar(&c.ClipPre, "clip-pre", c.ClipPre, "each emergency gets a WebM clip in --out/clips from DURATION before it (and a JPEG in --out/snapshots); --clip-pre 0 --clip-post 0: none")
	fs.DurationVar(&c.ClipPost, "clip-post", c.ClipPost, "… to DURATION after it")
	fs.IntVar(&c.ClipRetainMB, "clip-retain-mb", c.ClipRetainMB, "delete the oldest emergency clips (and their snapshots) beyond N MiB (0 = keep all)")
	fs.DurationVar(&c.ClipRetainAge, "clip-retain-age", c.ClipRetainAge, "delete emergency clips (and their snapshots) older than DURATION, e.g. 168h (0 = keep them)")
	fs.StringVar(&c.Events, "events", c.Events, "events JSON-lines file in --out")
	fs.StringVar(&c.CSV, "csv", c.CSV, "per-frame summary CSV in --out (\"\" = none)")
	fs.BoolVar(&c.Stdout, "stdout", c.Stdout, "print events on stdout too")
	fs.IntVar(&c.Evidence, "evidence", c.Evidence, "save every Nth annotated frame (and emergency frames) as PNG in --out/frames")
	fs.StringVar(&c.Webhook, "webhook", c.Webhook, "POST each event as JSON to this URL (retried with backoff while the receiver is down)")
	fs.StringSliceVar(&c.WebhookEvents, "webhook-events", c.WebhookEvents, "event types the webhook gets: anomalies,emergency,clear,source,stats or all")
	fs.StringSliceVar(&c.FileEvents, "file-events", c.FileEvents, "event types written to the events file")
	fs.StringSliceVar(&c.StdoutEvents, "stdout-events", c.StdoutEvents, "event types printed on stdout")
	fs.StringVar(&c.MQTT, "mqtt", c.MQTT, "publish events to this MQTT broker, e.g. tcp://127.0.0.1:1883 (topics <prefix>/<source>/<type>, retained .../available and .../emergency)")
	fs.StringVar(&c.MQTTPrefix, "mqtt-prefix", c.MQTTPrefix, "MQTT topic prefix")
	fs.StringVar(&c.MQTTClientID, "mqtt-client-id", c.MQTTClientID, "MQTT client id (each source connects as ID-SOURCE; default metaood-<hostname>)")
	fs.StringVar(&c.MQTTUser, "mqtt-user", c.MQTTUser, "MQTT user name (the password: --mqtt-password-file or $"+config.MQTTPasswordEnv+")")
	fs.StringVar(&c.MQTTPasswordFile, "mqtt-password-file", c.MQTTPasswordFile, "file whose first line is the MQTT password")
	fs.StringSliceVar(&c.MQTTEvents, "mqtt-events", c.MQTTEvents, "event types published on MQTT (the emergency state is kept whatever this says)")
	fs.DurationVar(&c.StallTimeout, "stall-timeout", c.StallTimeout, "declare a camera or stream lost when no frame came for this long, and reopen it (0 = 10s)")
	fs.BoolVar(&c.AllowPartial, "allow-partial", c.AllowPartial, "exit 0 when a replayed file ended early (truncated); default: exit status 1")
	fs.StringVar(&c.WebRTC, "webrtc", c.WebRTC, "serve the live viewer at ADDR (--webrtc alone: "+stream.DefaultAddr+")")
	fs.Lookup("webrtc").NoOptDefVal = stream.DefaultAddr
	fs.StringVar(&c.Token, "token", c.Token, "bearer token the live viewer requires (page ?token=, /whep, /metrics)")
	fs.BoolVar(&c.Public, "public", c.Public, "allow a --webrtc address other machines can reach (e.g. 0.0.0.0:8080); set --token too")
	fs.IntVar(&c.Bitrate, "bitrate", c.Bitrate, "live viewer VP8 target bitrate per source, kbps")
	fs.IntVar(&c.MaxViewers, "max-viewers", c.MaxViewers, "live viewers at once, over all sources")
	webrtcNetFlags(&c.WebRTCNet, fs)
	fs.StringVar(&c.NATS, "nats", c.NATS, "publish events to the fleet's NATS JetStream events stream at URL (metaood.events.<vehicle>.<source>.<type>)")
	fs.StringVar(&c.Vehicle, "vehicle", c.Vehicle, "this rig's id in the fleet's events (with --nats)")
	fs.StringVar(&c.Metrics, "metrics", c.Metrics, "serve Prometheus /metrics at ADDR, e.g. 127.0.0.1:9090 (default off; --webrtc serves it too)")
	fs.StringVar(&c.Corridor, "corridor", c.Corridor, "drive corridor polygon \"x,y;x,y;…\" in fractions of the frame")
	fs.IntVar(&c.EmergArea, "emergency-area", c.EmergArea, "min anomaly area (source pixels) for an emergency")
	fs.IntVar(&c.EmergK, "emergency-k", c.EmergK, "emergency when present in k of the last n frames")
	fs.IntVar(&c.EmergN, "emergency-n", c.EmergN, "window n of the emergency rule")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug | info | warn | error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log lines on stderr: text (key=value) | json (one object a line)")
	return cfgFile, noVideo, replay
}

// usageError is a command-line mistake: it prints as its cause alone and matches errUsage, so
// main adds the --help hint and exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string   { return e.err.Error() }
func (e usageError) Unwrap() []error { return []error{errUsage, e.err} }
func badUsage(err error) error       { return usageError{err} }

// parseRunFlags applies defaults, then --config, then the flags given, then validates.
func parseRunFlags(args []string, stderr io.Writer) (config.Run, error) {
	c := config.Default()
	pre := pflag.NewFlagSet("run", pflag.ContinueOnError)
	pre.SetOutput(io.Discard)
	cfgFile, _, _ := runFlags(&c, pre)
	pre.ParseErrorsAllowlist.UnknownFlags = true
	_ = pre.Parse(args) // only --config matters here; errors are reported by the real parse
	if *cfgFile != "" {
		var err error
		if c, err = config.Load(*cfgFile); err != nil {
			return c, err
		}
	}
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, runUsage)
		fs.PrintDefaults()
	}
	_, noVideo, replay := runFlags(&c, fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return c, err
		}
		return c, badUsage(err)
	}
	if fs.NArg() > 0 {
		return c, badUsage(fmt.Errorf("unexpected argument %q (sources go with --source)", fs.Arg(0)))
	}
	if *noVideo {
		c.Video = ""
	}
	if *replay {
		c.Realtime = false
	}
	liveDemo(&c, *replay, fs.Changed("stdout"))
	if !fs.Changed("roi") && c.ROI == "" && onlySynthetic(c.Sources) {
		c.ROI = config.SynthROI
	}
	if err := c.Validate(); err != nil {
		return c, badUsage(err)
	}
	return c, nil
}

// runUsage heads `metaood run --help`.
const runUsage = `Usage: metaood run [flags]

With no flags: a synthetic drive (300 frames) through the built-in tiny model and meta
classifier, replayed as fast as possible; outputs go to ./out/run-<timestamp>/.

With --webrtc and no --source (what 'make run' does): the synthetic drive instead runs in
real time (30 fps) and without end, so the live viewer keeps showing it; the viewer URL and
the output folder are printed first; events go to the events file and the viewer (--stdout
prints them too). Ctrl-C (or --frames N) ends the run and finalizes the video, events and
summary. Add --replay for the finite replay with the viewer on.

/metrics (--metrics ADDR, and the viewer's own /metrics with --webrtc) shows the whole run:
pipeline, inference, capture and stream.

Flags:
`

// liveSynth is the default source of a run with the live viewer: the default drive, endless.
const liveSynth = "synth:frames=0,size=1024x512"

// liveDemo turns the default finite replay into an endless real-time drive when the live
// viewer is on and the sources are the defaults (so someone watching does not see the stream
// end after a few seconds); an explicit --replay keeps the replay. Events then stay off stdout
// unless --stdout was given: they would bury the viewer's URL (they are in the events file and
// on the viewer).
func liveDemo(c *config.Run, replay, stdoutGiven bool) {
	if c.WebRTC == "" || replay || !slices.Equal(c.Sources, config.Default().Sources) {
		return
	}
	c.Sources = []string{liveSynth}
	c.Realtime = true
	if !stdoutGiven {
		c.Stdout = false
	}
}

func cmdRun(ctx context.Context, args []string) error {
	c, err := parseRunFlags(args, os.Stderr)
	if errors.Is(err, pflag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := newLoggerAs(c.LogLevel, c.LogFormat, os.Stderr)
	sum, outs, err := runPipeline(ctx, c, log, os.Stdout, os.Stderr)
	if err != nil && outs.Dir != "" {
		os.Remove(outs.Dir) // only if still empty: a run that failed at set-up leaves no folder behind
	}
	printSummary(os.Stderr, c, sum, outs)
	if err == nil {
		err = runFailure(c, sum)
	}
	return err
}

// runFailure turns a run that finished but did not do what was asked into a non-zero exit, so
// rigs and scripts notice: an output that failed (its file is still closed, the rest kept),
// sources that all failed before delivering a frame, every frame failing (e.g. a model that
// outputs NaN), or a replayed file that ended early (unless --allow-partial).
func runFailure(c config.Run, s pipeline.Summary) error {
	switch {
	case len(s.SinkErrors) > 0:
		return fmt.Errorf("%w: %s", errOutputFailed, strings.Join(s.SinkErrors, "; "))
	case s.Frames == 0 && len(s.SourceErrors) > 0:
		return fmt.Errorf("%w: %s", errNoFrames, strings.Join(s.SourceErrors, "; "))
	case s.Frames > 0 && s.FrameErrors == s.Frames:
		return fmt.Errorf("%w: %d of %d (first: %s)", errAllFramesFailed, s.FrameErrors, s.Frames, strings.Join(s.FirstErrors, "; "))
	case len(s.EarlyEnds) > 0 && !c.AllowPartial:
		return fmt.Errorf("%w: %s (--allow-partial accepts it)", errEndedEarly, strings.Join(s.EarlyEnds, "; "))
	}
	return nil
}

var (
	errOutputFailed    = errors.New("an output failed during the run (the others were kept)")
	errNoFrames        = errors.New("no frame was processed: every source failed")
	errAllFramesFailed = errors.New("every frame failed")
	errEndedEarly      = errors.New("a source ended before its end (truncated or corrupt; what was read is kept)")
)

// runPipeline runs c through the app; stdout receives the events when c.Stdout, info the lines
// that tell the user where to look (and a progress bar when it is a terminal).
func runPipeline(ctx context.Context, c config.Run, log *slog.Logger, stdout, info io.Writer) (pipeline.Summary, app.Outputs, error) {
	o := app.Options{Log: log, Stdout: stdout, Hurry: hurry, Ready: func(outs app.Outputs) {
		if outs.Metrics != "" {
			fmt.Fprintf(info, "metrics: http://%s/metrics\n", outs.Metrics)
		}
		fmt.Fprintf(info, "metaood run: %s → %s (provider %s); outputs in %s\n", strings.Join(c.Sources, ", "),
			app.ModelName(c.Model), outs.Provider, outs.Dir)
		if outs.Viewer != "" {
			url := outs.Viewer // the token goes to a terminal, never to a file or pipe
			if progress.IsTerminal(info) {
				url = outs.ViewerWithToken
			}
			printViewer(info, url, outs.Dir, slices.Equal(c.Sources, []string{liveSynth}) && c.Frames == 0)
		}
		sdnotify.Ready(log) // systemd (Type=notify): set up and serving; a no-op outside systemd
	}}
	if progress.IsTerminal(info) {
		o.Progress = info
	}
	if c.NATS != "" {
		live, err := fleet.OpenLive(ctx, c.NATS, c.Vehicle, log)
		if err != nil {
			return pipeline.Summary{}, app.Outputs{}, err
		}
		o.Sinks = append(o.Sinks, live)
	}
	sum, outs, err := app.Run(ctx, c, o)
	return sum, outs, withHint(err)
}

// printViewer shows the live viewer's URL and the output folder so that they stand out from
// the log lines and events that follow.
func printViewer(w io.Writer, url, dir string, endless bool) {
	end := "Ctrl-C ends the run"
	if endless {
		end = "the synthetic drive runs in real time until Ctrl-C"
	}
	fmt.Fprintf(w, "\n  ┌─ live viewer ─────────────────────────────────────────────\n")
	fmt.Fprintf(w, "  │  open  %s\n", url)
	fmt.Fprintf(w, "  │  outputs in %s (finalized at the end)\n", dir)
	fmt.Fprintf(w, "  │  %s\n", end)
	fmt.Fprintf(w, "  └───────────────────────────────────────────────────────────\n\n")
}

// onlySynthetic reports whether every source is a synthetic drive, whose ego hood (labelled
// ignore in its ground truth) the default region of interest then leaves out.
func onlySynthetic(sources []string) bool {
	for _, s := range sources {
		if s != "synth" && !strings.HasPrefix(s, "synth:") && !strings.Contains(s, "=synth") {
			return false
		}
	}
	return len(sources) > 0
}

func printSummary(w io.Writer, c config.Run, s pipeline.Summary, o app.Outputs) {
	if s.Frames == 0 && s.Elapsed == 0 {
		return // failed before starting: the error says it all
	}
	emerg := "emergencies"
	if s.Emergencies == 1 {
		emerg = "emergency"
	}
	fmt.Fprintf(w, "\nmetaood run: %d frames in %.1f s (%.1f fps); %d anomalies kept, %d rejected by the meta classifier; %d %s\n",
		s.Frames, s.Elapsed.Seconds(), s.FPS, s.Kept, s.Rejected, s.Emergencies, emerg)
	if s.Dropped > 0 {
		fmt.Fprintf(w, "  dropped: %d frames (a live source ahead of the pipeline, or discarded at stop)\n", s.Dropped)
	}
	if s.FrameErrors > 0 {
		fmt.Fprintf(w, "  frames skipped after errors: %d (first: %s)\n", s.FrameErrors, strings.Join(s.FirstErrors, "; "))
	}
	for _, e := range s.SourceErrors {
		fmt.Fprintf(w, "  source failed: %s\n", e)
	}
	for _, e := range o.Early {
		fmt.Fprintf(w, "  ended early: %s\n", e)
	}
	for _, e := range s.SinkErrors {
		fmt.Fprintf(w, "  output failed: %s\n", e)
	}
	fmt.Fprintf(w, "  events:  %s\n", o.Events)
	for _, v := range o.Videos {
		fmt.Fprintf(w, "  video:   %s\n", v)
	}
	if o.CSV != "" {
		fmt.Fprintf(w, "  summary: %s\n", o.CSV)
	}
	if o.Evidence > 0 {
		fmt.Fprintf(w, "  frames:  %d PNG in %s\n", o.Evidence, filepath.Join(o.Dir, "frames"))
	}
	if o.Clips > 0 || o.Snapshots > 0 {
		fmt.Fprintf(w, "  clips:   %d WebM in %s, %d JPEG in %s\n", o.Clips, filepath.Join(o.Dir, "clips"), o.Snapshots, filepath.Join(o.Dir, "snapshots"))
	}
}

// bindMachineFlags binds the settings of the machine a run executes on (fleet.WorkerSettingKeys):
// `run` and `worker` share them.
func bindMachineFlags(fs *pflag.FlagSet, c *config.Run) {
	fs.IntVar(&c.Batch, "batch", c.Batch, "max frames per inference call")
	fs.StringVar(&c.Provider, "provider", c.Provider, "execution provider: cpu | cuda | tensorrt")
	fs.BoolVar(&c.AllowFallback, "allow-fallback", c.AllowFallback, "run on the CPU, with a warning, when the cuda/tensorrt provider cannot start (default: an error)")
	fs.IntVar(&c.Device, "device", c.Device, "GPU id for cuda | tensorrt")
	fs.StringVar(&c.TRTCache, "trt-cache", c.TRTCache, "TensorRT engine cache folder: the first run builds the engine, later runs load it")
	fs.BoolVar(&c.TRTFP16, "trt-fp16", c.TRTFP16, "let TensorRT build fp16 engines")
	fs.BoolVar(&c.DispersionHead, "dispersion-head", c.DispersionHead, "compute entropy, argmax, top-2 and the uncertain pixels' probabilities inside the model graph (GPU: a few maps leave the device instead of every class plane; slower on a CPU)")
	fs.IntVar(&c.Threads, "threads", c.Threads, "ONNX Runtime intra-op threads (0 = all cores)")
	fs.StringVar(&c.OrtLib, "ort-lib", c.OrtLib, "libonnxruntime.so to load (default: $"+infer.LibEnv+", then <repo>/.cache/ort from 'make setup')")
	fs.IntVar(&c.Workers, "workers", c.Workers, "postproc workers (0 = one per core)")
	fs.IntVar(&c.WorkerNice, "worker-nice", c.WorkerNice, "nice value of the postproc workers (Linux; 0 = unchanged): inference preempts them, they fill idle CPU")
}
