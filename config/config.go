// Package config holds the settings of `metaood run`: defaults, a strict YAML file (unknown keys
// are an error), then command-line flags, then Validate, whose messages name the key and flag.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/sink/mqtt"
)

// Run is the configuration of `metaood run`. YAML keys match the flag names (dashes → underscores).
type Run struct {
	Sources    []string `yaml:"sources"`    // --source
	Model      string   `yaml:"model"`      // --model; "" = built-in tiny model
	Preset     string   `yaml:"preset"`     // --preset
	Classes    int      `yaml:"classes"`    // --classes
	InputSize  string   `yaml:"input_size"` // --input-size WxH; "" = model's fixed size, else the classifier's map size, else frame size
	Probs      bool     `yaml:"probs"`      // --probs
	Classifier string   `yaml:"classifier"` // --classifier; "" = <model>.metaclf.json beside --model if present, else built-in
	Force      bool     `yaml:"force"`      // --force: use a classifier recorded for another model or map size (a warning)
	Threshold  float64  `yaml:"threshold"`  // --threshold (entropy)
	Batch      int      `yaml:"batch"`      // --batch
	Workers    int      `yaml:"workers"`    // --workers; 0 = one per core
	Provider   string   `yaml:"provider"`   // --provider
	OrtLib     string   `yaml:"ort_lib"`    // --ort-lib: libonnxruntime.so; "" = METAOOD_ORT_LIB, then <repo>/.cache/ort
	Device     int      `yaml:"device"`     // --device: GPU id for cuda/tensorrt
	TRTCache   string   `yaml:"trt_cache"`  // --trt-cache: TensorRT engine cache folder; "" = none
	TRTFP16    bool     `yaml:"trt_fp16"`   // --trt-fp16: let TensorRT build fp16 engines
	// DispersionHead (--dispersion-head) computes entropy, argmax, top-2 and the probabilities
	// of uncertain pixels inside the model graph, so a few maps leave the GPU instead of C planes.
	DispersionHead bool `yaml:"dispersion_head"`
	// AllowFallback (--allow-fallback) runs on the CPU, with a warning, when the GPU provider cannot start.
	AllowFallback bool    `yaml:"allow_fallback"`
	Threads       int     `yaml:"threads"`              // --threads: ONNX Runtime intra-op threads; 0 = all cores
	Realtime      bool    `yaml:"realtime"`             // --realtime (else replay as fast as possible)
	Frames        int     `yaml:"frames"`               // --frames
	Out           string  `yaml:"out"`                  // --out; "" = ./out/run-<timestamp>
	Video         string  `yaml:"video"`                // --video file name in Out; "" = no video (--no-video)
	Events        string  `yaml:"events"`               // --events
	CSV           string  `yaml:"csv"`                  // --csv; "" = none
	Stdout        bool    `yaml:"stdout"`               // --stdout: events on stdout too
	Webhook       string  `yaml:"webhook"`              // --webhook URL
	WebRTC        string  `yaml:"webrtc"`               // --webrtc ADDR; "" = off
	Token         string  `yaml:"token"`                // --token
	Bitrate       int     `yaml:"bitrate"`              // --bitrate: VP8 target per source, kbps
	MaxViewers    int     `yaml:"max_viewers"`          // --max-viewers: simultaneous viewers over all sources
	Public        bool    `yaml:"public"`               // --public: allow a non-loopback --webrtc address
	Metrics       string  `yaml:"metrics"`              // --metrics ADDR; "" = off
	Corridor      string  `yaml:"corridor"`             // --corridor
	ROI           string  `yaml:"roi"`                  // --roi: region of interest polygon; "" = the whole frame
	ClfThreshold  float64 `yaml:"classifier_threshold"` // --classifier-threshold: remove when P(FP) > this; 0 = the file's
	WorkerNice    int     `yaml:"worker_nice"`          // --worker-nice: postproc workers' nice value (Linux); 0 = unchanged
	EmergArea     int     `yaml:"emergency_area"`
	EmergK        int     `yaml:"emergency_k"`
	EmergN        int     `yaml:"emergency_n"`
	Evidence      int     `yaml:"evidence"`   // --evidence N: save every Nth annotated frame as PNG; 0 = none
	LogLevel      string  `yaml:"log_level"`  // --log-level
	LogFormat     string  `yaml:"log_format"` // --log-format: text (key=value lines) or json (one object a line)
	// StallTimeout (--stall-timeout) declares a camera or stream lost when no frame has come for
	// this long, and reopens it; 0 = the default (10 s).
	StallTimeout time.Duration `yaml:"stall_timeout"`
	// Segment (--segment) starts a new video file every this long of video (NAME-0000.webm, …),
	// each playable as soon as it closes; 0 = one file.
	Segment time.Duration `yaml:"segment"`
	// VideoCodec (--video-codec): h264 | mp4v | mjpg | vp8; "" = the file type's default.
	VideoCodec string `yaml:"video_codec"`
	// VideoBitrate (--video-bitrate) is the .webm recording's and the event clips' target, kbps.
	VideoBitrate int `yaml:"video_bitrate"`
	// RetainMB (--retain-mb) deletes the oldest closed segments beyond this many MiB; 0 = keep all.
	RetainMB int `yaml:"retain_mb"`
	// RetainAge (--retain-age) deletes closed segments older than this; 0 = keep them.
	RetainAge time.Duration `yaml:"retain_age"`
	// ClipPre and ClipPost (--clip-pre, --clip-post): each emergency gets a WebM clip from this
	// long before it to this long after, and a JPEG snapshot; both 0 = neither.
	ClipPre  time.Duration `yaml:"clip_pre"`
	ClipPost time.Duration `yaml:"clip_post"`
	// ClipRetainMB (--clip-retain-mb) deletes the oldest emergency clips (with their snapshots)
	// beyond this many MiB; ClipRetainAge (--clip-retain-age) those older than this; 0 = keep them.
	ClipRetainMB  int           `yaml:"clip_retain_mb"`
	ClipRetainAge time.Duration `yaml:"clip_retain_age"`
	// AllowPartial (--allow-partial) lets a replay whose file ended early (truncated) exit 0.
	AllowPartial bool `yaml:"allow_partial"`
	// Event types each output passes on (event.ParseTypes: names or "all"); see events.go.
	FileEvents    []string `yaml:"file_events"`    // --file-events
	StdoutEvents  []string `yaml:"stdout_events"`  // --stdout-events
	WebhookEvents []string `yaml:"webhook_events"` // --webhook-events
	MQTTEvents    []string `yaml:"mqtt_events"`    // --mqtt-events
	// MQTT output (sink/mqtt); MQTT "" = off. The password comes from MQTTPasswordFile, else
	// $METAOOD_MQTT_PASSWORD, never from a flag.
	MQTT             string `yaml:"mqtt"`               // --mqtt tcp://host:1883
	MQTTPrefix       string `yaml:"mqtt_prefix"`        // --mqtt-prefix
	MQTTClientID     string `yaml:"mqtt_client_id"`     // --mqtt-client-id; "" = metaood-<hostname>
	MQTTUser         string `yaml:"mqtt_user"`          // --mqtt-user
	MQTTPasswordFile string `yaml:"mqtt_password_file"` // --mqtt-password-file
	// NATS (--nats) publishes the events to the fleet's JetStream events stream at this URL,
	// named by Vehicle (--vehicle); "" = off.
	NATS    string `yaml:"nats"`
	Vehicle string `yaml:"vehicle"`
	// WebRTCNet: --webrtc-udp-port, --webrtc-public-ip, --webrtc-ice-server, --webrtc-allow-origin.
	WebRTCNet `yaml:",inline"`
}

// Default returns the built-in defaults: the synthetic drive through the tiny model.
func Default() Run {
	t := event.DefaultTrackerConfig()
	return Run{
		Sources: []string{"synth:frames=300,size=1024x512"}, Preset: "rgb01", Threshold: 0.7, Batch: 1, Provider: "cpu",
		Video: "annotated.webm", Segment: time.Minute, VideoBitrate: 3000, ClipPre: 5 * time.Second, ClipPost: 5 * time.Second,
		Events: "events.jsonl", CSV: "summary.csv", Stdout: true,
		Corridor: t.Corridor.String(), EmergArea: t.MinArea, EmergK: t.K, EmergN: t.N, LogLevel: "info", LogFormat: "text",
		Bitrate: 2500, MaxViewers: 4, WorkerNice: 10,
		FileEvents: []string{event.AllTypes}, StdoutEvents: []string{event.AllTypes},
		WebhookEvents: slices.Clone(DefaultWebhookEvents), MQTTEvents: slices.Clone(mqtt.DefaultTypes), MQTTPrefix: "metaood",
	}
}

// Load reads a YAML file over the defaults. Unknown keys and type errors name the key and line.
func Load(path string) (Run, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Run{}, fmt.Errorf("%w: --config %s: %v", ErrConfig, path, err)
	}
	c, err := Parse(data)
	if err != nil {
		return Run{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse reads YAML over the defaults and validates the result.
func Parse(data []byte) (Run, error) {
	c := Default()
	data, err := bareDurations(data)
	if err != nil {
		return Run{}, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Run{}, fmt.Errorf("%w: %s", ErrConfig, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if err := dec.Decode(new(yaml.Node)); !errors.Is(err, io.EOF) {
		return Run{}, fmt.Errorf("%w: the file holds more than one YAML document (a second '---'); settings must be one YAML document", ErrConfig)
	}
	if err := wholeNumbers(data); err != nil {
		return Run{}, err
	}
	return c, c.Validate()
}

// wholeNumbers refuses a fraction given for an integer setting (YAML would truncate
// "frames: 1.5" to 1 without a word).
func wholeNumbers(data []byte) error {
	var m map[string]any
	if yaml.Unmarshal(data, &m) != nil {
		return nil // the typed decode has reported it
	}
	for _, f := range reflect.VisibleFields(reflect.TypeOf(Run{})) { // with the inline structs' fields
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		v, ok := m[key].(float64)
		if ok && f.Type.Kind() == reflect.Int && v != math.Trunc(v) {
			return fmt.Errorf("%w: %s: %v is not a whole number", ErrConfig, key, v)
		}
	}
	return nil
}

var (
	presets   = []string{"rgb01", "imagenet", "bgr01", "bgr-imagenet"}
	providers = []string{"cpu", "cuda", "tensorrt"}
	levels    = []string{"debug", "info", "warn", "error"}
)

// specKeys are the parameter keys of source specs (synthetic drives, cameras): a source that
// starts with one is the tail of the source before it, cut at a comma.
var specKeys = []string{"seed", "frames", "size", "fps", "anomalies", "first", "step"}

// MaxWorkers bounds the postproc workers: more than this only costs memory and threads.
const MaxWorkers = 256

// MaxClipPre and MaxClipPost bound an emergency clip: the pre-roll is held in memory, about
// MaxClipPre × the video bitrate per source.
const (
	MaxClipPre  = 2 * time.Minute
	MaxClipPost = 10 * time.Minute
)

// VideoCodecNames are the values of video_codec (render.VideoCodecs).
var VideoCodecNames = []string{"h264", "mp4v", "mjpg", "vp8"}

// VideoExts are the annotated video's containers (render's writer).
var VideoExts = []string{".mp4", ".avi", ".mkv", ".webm"}

// isHTTPURL reports an absolute http(s) URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// vehicleID is a rig's name in the fleet's subjects.
var vehicleID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// isNATSURL reports a list of nats:// (tls://, ws://, wss://) URLs with hosts.
func isNATSURL(s string) bool {
	for _, part := range strings.Split(s, ",") {
		u, err := url.Parse(strings.TrimSpace(part))
		if err != nil || !oneOf(u.Scheme, []string{"nats", "tls", "ws", "wss"}) || u.Host == "" {
			return false
		}
	}
	return true
}

// LogFormats are the values of log_format (--log-format).
var LogFormats = []string{"text", "json"}

// Validate checks every value; messages quote the key (and its flag).
func (c Run) Validate() error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("%w: %s (--%s): %s", ErrConfig, key, strings.ReplaceAll(key, "_", "-"), fmt.Sprintf(format, args...))
	}
	for i, src := range c.Sources {
		if k, _, ok := strings.Cut(src, "="); ok && i > 0 && oneOf(strings.TrimSpace(k), specKeys) {
			return bad("source", "%q looks like the rest of %q: a YAML list like [a,b] splits at commas; quote the source, e.g. sources: ['%s,%s']",
				src, c.Sources[i-1], c.Sources[i-1], src)
		}
	}
	switch {
	case len(c.Sources) == 0:
		return bad("source", "no source; give e.g. --source synth or --source clip.mp4")
	case !oneOf(c.Preset, presets):
		return bad("preset", "%q; want one of %s", c.Preset, strings.Join(presets, ", "))
	case c.Classes < 0 || c.Classes == 1:
		return bad("classes", "%d; want 0 (all output channels) or at least 2", c.Classes)
	case math.IsNaN(c.Threshold) || c.Threshold <= 0 || c.Threshold >= 1:
		return bad("threshold", "%v; want a normalized entropy in (0, 1), e.g. 0.7", c.Threshold)
	case c.Batch < 1 || c.Batch > 64:
		return bad("batch", "%d; want 1..64", c.Batch)
	case c.Workers < 0 || c.Workers > MaxWorkers:
		return bad("workers", "%d; want 0 (one per core) to %d", c.Workers, MaxWorkers)
	case math.IsNaN(c.ClfThreshold) || c.ClfThreshold < 0 || c.ClfThreshold >= 1:
		return bad("classifier_threshold", "%v; want a probability in (0, 1), or 0 for the classifier file's own (usually 0.5)", c.ClfThreshold)
	case c.WorkerNice < 0 || c.WorkerNice > 19:
		return bad("worker_nice", "%d; want 0 (unchanged) to 19", c.WorkerNice)
	case !oneOf(c.Provider, providers):
		return bad("provider", "%q; want one of %s", c.Provider, strings.Join(providers, ", "))
	case c.Device < 0:
		return bad("device", "%d is negative; want a GPU id (0 = the first)", c.Device)
	case c.DispersionHead && c.Probs:
		return bad("dispersion_head", "needs a model that outputs logits, and probs says the model outputs probabilities; drop one of them")
	case c.Threads < 0:
		return bad("threads", "%d is negative; want 0 (all cores) or a thread count", c.Threads)
	case c.Bitrate < 100 || c.Bitrate > 50000:
		return bad("bitrate", "%d kbps; want 100..50000 (default 2500)", c.Bitrate)
	case c.MaxViewers < 1 || c.MaxViewers > 64:
		return bad("max_viewers", "%d; want 1..64 (default 4)", c.MaxViewers)
	case c.Frames < 0:
		return bad("frames", "%d is negative", c.Frames)
	case c.Events == "":
		return bad("events", "empty; events are always written (default events.jsonl)")
	case c.Evidence < 0:
		return bad("evidence", "%d is negative", c.Evidence)
	case !oneOf(c.LogLevel, levels):
		return bad("log_level", "%q; want one of %s", c.LogLevel, strings.Join(levels, ", "))
	case !oneOf(c.LogFormat, LogFormats):
		return bad("log_format", "%q; want one of %s", c.LogFormat, strings.Join(LogFormats, ", "))
	case c.Webhook != "" && !isHTTPURL(c.Webhook):
		return bad("webhook", "%q is not an http:// or https:// URL with a host", c.Webhook)
	case c.Video != "" && !oneOf(strings.ToLower(filepath.Ext(c.Video)), VideoExts):
		return bad("video", "%q; want a file name ending in %s", c.Video, strings.Join(VideoExts, ", "))
	case c.StallTimeout < 0:
		return bad("stall_timeout", "%v is negative", c.StallTimeout)
	case c.Segment != 0 && c.Segment < time.Second:
		return bad("segment", "%v; want 0 (one file) or at least 1s, e.g. 1m", c.Segment)
	case c.VideoCodec != "" && !oneOf(c.VideoCodec, VideoCodecNames):
		return bad("video_codec", "%q; want one of %s", c.VideoCodec, strings.Join(VideoCodecNames, ", "))
	case c.RetainMB < 0:
		return bad("retain_mb", "%d is negative", c.RetainMB)
	case c.RetainMB > 0 && c.Segment == 0:
		return bad("retain_mb", "applies to segments: give --segment too (e.g. --segment 1m)")
	case c.RetainAge < 0:
		return bad("retain_age", "%v is negative", c.RetainAge)
	case c.RetainAge > 0 && c.Segment == 0:
		return bad("retain_age", "applies to segments: give --segment too (e.g. --segment 1m)")
	case c.RetainAge > 0 && c.RetainAge < c.Segment:
		return bad("retain_age", "%v is shorter than a segment (%v): every segment would be deleted as it closes", c.RetainAge, c.Segment)
	case c.VideoBitrate < 100 || c.VideoBitrate > 50000:
		return bad("video_bitrate", "%d kbps; want 100..50000 (default 3000)", c.VideoBitrate)
	case c.VideoCodec != "" && c.VideoCodec != "vp8" && strings.EqualFold(filepath.Ext(c.Video), ".webm"):
		return bad("video_codec", "%s does not go into .webm (WebM is VP8 here); for %s give --video NAME.mp4 too", c.VideoCodec, c.VideoCodec)
	case c.ClipPre < 0 || c.ClipPost < 0:
		return bad("clip_pre", "clip_pre %v and clip_post %v must not be negative (both 0: no clips)", c.ClipPre, c.ClipPost)
	case c.ClipPre > MaxClipPre:
		return bad("clip_pre", "%v; want at most %v (the pre-roll is kept in memory)", c.ClipPre, MaxClipPre)
	case c.ClipPost > MaxClipPost:
		return bad("clip_post", "%v; want at most %v", c.ClipPost, MaxClipPost)
	case c.ClipRetainMB < 0:
		return bad("clip_retain_mb", "%d is negative", c.ClipRetainMB)
	case c.ClipRetainAge < 0:
		return bad("clip_retain_age", "%v is negative", c.ClipRetainAge)
	case (c.ClipRetainMB > 0 || c.ClipRetainAge > 0) && c.ClipPre+c.ClipPost == 0:
		return bad("clip_retain_mb", "applies to emergency clips, which --clip-pre 0 --clip-post 0 turn off")
	case c.NATS != "" && !isNATSURL(c.NATS):
		return bad("nats", "%q; want nats://host:port (or tls://, several separated by commas)", c.NATS)
	case c.NATS != "" && !vehicleID.MatchString(c.Vehicle):
		return bad("vehicle", "%q; with nats, name this rig with 1 to 80 letters, digits, '-' or '_' (its events go to metaood.events.<vehicle>.…)", c.Vehicle)
	case c.Public && c.Token == "":
		return bad("public", "without a token anyone who reaches the viewer or /metrics could use it; pass --token SECRET or drop --public")
	}
	if c.InputSize != "" {
		if _, _, err := ParseSize(c.InputSize); err != nil {
			return bad("input_size", "%v", err)
		}
	}
	if _, err := c.Tracker(); err != nil {
		return bad("corridor", "%v", err)
	}
	if _, err := c.RegionOfInterest(); err != nil {
		return err
	}
	if err := c.validateEvents(); err != nil {
		return err
	}
	if err := c.WebRTCNet.validate(c.Public, c.Token); err != nil {
		return err
	}
	for _, l := range []struct{ key, addr string }{{"webrtc", c.WebRTC}, {"metrics", c.Metrics}} {
		if l.addr == "" {
			continue
		}
		host, port, err := net.SplitHostPort(l.addr)
		if p, perr := strconv.Atoi(port); err != nil || perr != nil || p < 0 || p > 65535 {
			return bad(l.key, "%q is not host:port, e.g. 127.0.0.1:8080", l.addr)
		}
		if !c.Public && !IsLoopback(host) {
			return bad(l.key, "%q would be reachable from other machines; use 127.0.0.1:PORT, or pass --public (public: true) together with --token", l.addr)
		}
	}
	return nil
}

// IsLoopback reports whether a listen host names only this machine ("localhost", 127.0.0.0/8,
// ::1). An empty host or 0.0.0.0 listens everywhere, so it is not loopback.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SynthROI leaves out the synthetic drive's ego hood (at most 5.5 % of the rows, labelled ignore
// in its ground truth): the built-in demo analyses only the scene, as a rig would with its own --roi.
const SynthROI = "0,0;1,0;1,0.94;0,0.94"

// RegionOfInterest returns the --roi polygon, or nil for the whole frame.
func (c Run) RegionOfInterest() (event.Corridor, error) {
	if strings.TrimSpace(c.ROI) == "" {
		return nil, nil
	}
	roi, err := event.ParseCorridor(c.ROI)
	if err != nil {
		return nil, fmt.Errorf("%w: roi (--roi): %v", ErrConfig, err)
	}
	return roi, nil
}

// Tracker returns the emergency tracker settings.
func (c Run) Tracker() (event.TrackerConfig, error) {
	corr, err := event.ParseCorridor(c.Corridor)
	if err != nil {
		return event.TrackerConfig{}, err
	}
	t := event.TrackerConfig{Corridor: corr, MinArea: c.EmergArea, K: c.EmergK, N: c.EmergN}
	return t, t.Validate()
}

// ParseSize reads "WxH" (e.g. 1024x512), each side 1..16384.
func ParseSize(s string) (w, h int, err error) { return frame.ParseSize(s, 1, 16384) }

func oneOf(s string, set []string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}
