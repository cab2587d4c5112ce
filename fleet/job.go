// Package fleet runs metaood's replay work on NATS JetStream: jobs on a work-queue stream pulled
// by workers that may die (a job is redelivered after its ack wait and redone), the job status in
// a key-value bucket, events on one events stream for the whole fleet (deduplicated by
// Nats-Msg-Id), outputs in an object store bucket or a shared folder, keyed by job id so that a
// redo overwrites. The pipeline itself is internal/app.Run, as for `metaood run`.
package fleet

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/metaood/metaood/config"
)

// JobFormat and JobVersion identify a job message; a worker refuses other versions.
const (
	JobFormat  = "metaood-job"
	JobVersion = 1
)

// Job is one replay: a source the workers can reach, the model and classifier, the settings of
// the replay, and where its outputs go. It travels as JSON on the jobs stream.
type Job struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	ID      string `json:"id"`
	// Source is a path or URL every worker can reach (a shared folder, http://…), or synth:….
	Source     string `json:"source"`
	Model      string `json:"model,omitempty"`      // "" = the built-in tiny model
	Classifier string `json:"classifier,omitempty"` // "" = beside the model, else built-in
	// Settings are `metaood run` settings by their YAML keys (JobSettingKeys only), e.g.
	// {"frames": 600, "input_size": "512x256"}.
	Settings  map[string]any `json:"settings,omitempty"`
	Output    Output         `json:"output"`
	Submitted time.Time      `json:"submitted"`
}

// Output is where a job's outputs go: an object store bucket (objects "<job id>/<file>") or a
// folder every worker can write (files in "<dir>/<job id>/"). Exactly one is set.
type Output struct {
	Bucket string `json:"bucket,omitempty"`
	Dir    string `json:"dir,omitempty"`
}

func (o Output) String() string {
	if o.Dir != "" {
		return "folder " + o.Dir
	}
	return "object store bucket " + o.Bucket
}

// JobSettingKeys are the settings a job may carry: what changes the replay's results and
// outputs. The model and classifier are job fields; hardware settings (provider, threads, batch,
// …) are the worker's (WorkerSettingKeys); the rest make no sense in a job (NotJobKeys).
var JobSettingKeys = []string{"preset", "classes", "input_size", "probs", "force", "threshold", "frames", "video",
	"events", "csv", "webhook", "corridor", "roi", "classifier_threshold", "emergency_area", "emergency_k", "emergency_n",
	"evidence", "segment", "video_codec", "video_bitrate", "retain_mb", "retain_age", "clip_pre", "clip_post", "clip_retain_mb", "clip_retain_age", "allow_partial",
	"file_events", "webhook_events"}

// WorkerSettingKeys are settings of the machine that runs a job, given to `metaood worker`.
var WorkerSettingKeys = []string{"provider", "device", "trt_cache", "trt_fp16", "allow_fallback", "threads", "ort_lib",
	"batch", "workers", "worker_nice", "dispersion_head"}

// jobFieldKeys are settings that are fields of the job itself, by the field's name.
var jobFieldKeys = map[string]string{"sources": "source", "model": "model", "classifier": "classifier", "out": "output"}

// NotJobKeys are live or interactive settings a replay job cannot use.
var NotJobKeys = []string{"realtime", "stdout", "webrtc", "token", "bitrate", "max_viewers", "public", "metrics",
	"log_level", "log_format", "stall_timeout", "nats", "vehicle", "stdout_events", "mqtt", "mqtt_prefix", "mqtt_client_id",
	"mqtt_user", "mqtt_password_file", "mqtt_events", "webrtc_udp_port", "webrtc_public_ips", "webrtc_ice_servers",
	"webrtc_allow_origins"}

// idPattern is a job or vehicle id: a NATS subject token, a KV key, a folder name.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// CheckID refuses an id that cannot name a subject token, a key and a folder.
func CheckID(what, id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("%w: %s %q: use 1 to 80 letters, digits, '-' or '_'", ErrJob, what, id)
	}
	return nil
}

// Validate checks a job as a worker receives it; errors wrap ErrJob and name the field.
func (j Job) Validate() error {
	switch {
	case j.Format != JobFormat:
		return fmt.Errorf("%w: format %q, want %q", ErrJob, j.Format, JobFormat)
	case j.Version != JobVersion:
		return fmt.Errorf("%w: version %d; this worker reads version %d (upgrade the worker or resubmit)", ErrJob, j.Version, JobVersion)
	case strings.TrimSpace(j.Source) == "":
		return fmt.Errorf("%w: %s: no source", ErrJob, j.ID)
	case (j.Output.Bucket == "") == (j.Output.Dir == ""):
		return fmt.Errorf("%w: %s: output needs exactly one of bucket or dir", ErrJob, j.ID)
	case j.Output.Dir != "" && !filepath.IsAbs(j.Output.Dir):
		return fmt.Errorf("%w: %s: output dir %q is relative; workers need an absolute path to a shared folder", ErrJob, j.ID, j.Output.Dir)
	}
	if err := CheckID("job id", j.ID); err != nil {
		return err
	}
	_, err := j.RunConfig("/nonexistent", Machine{})
	return err
}

// ParseJob reads a job message and validates it.
func ParseJob(data []byte) (Job, error) {
	var j Job
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return Job{}, fmt.Errorf("%w: unreadable job message: %v", ErrJob, err)
	}
	return j, j.Validate()
}

// Machine holds the worker's hardware settings (WorkerSettingKeys), applied to every job it runs.
type Machine struct {
	Provider      string
	Device        int
	TRTCache      string
	TRTFP16       bool
	AllowFallback bool
	Threads       int
	OrtLib        string
	Batch         int
	Workers       int
	WorkerNice    int
	// DispersionHead computes the entropy inside the model (same results, less CPU).
	DispersionHead bool
}

// MachineOf takes the worker's settings from a run configuration (the defaults and flags of
// `metaood worker`).
func MachineOf(c config.Run) Machine {
	return Machine{Provider: c.Provider, Device: c.Device, TRTCache: c.TRTCache, TRTFP16: c.TRTFP16, AllowFallback: c.AllowFallback,
		Threads: c.Threads, OrtLib: c.OrtLib, Batch: c.Batch, Workers: c.Workers, WorkerNice: c.WorkerNice, DispersionHead: c.DispersionHead}
}

// RunConfig is the `metaood run` configuration of the job on machine m, writing into out: the
// defaults, then the job's settings, then its fields, then m. Errors wrap ErrJob (bad settings
// never become good on another try).
func (j Job) RunConfig(out string, m Machine) (config.Run, error) {
	for _, k := range sortedKeys(j.Settings) {
		if err := checkSettingKey(k); err != nil {
			return config.Run{}, fmt.Errorf("%w: %s: %v", ErrJob, j.ID, err)
		}
	}
	doc, err := json.Marshal(j.Settings) // JSON is YAML: config's strict parser checks the values
	if err != nil {
		return config.Run{}, fmt.Errorf("%w: %s: settings: %v", ErrJob, j.ID, err)
	}
	if len(j.Settings) == 0 {
		doc = nil
	}
	c, err := config.Parse(doc)
	if err != nil {
		return config.Run{}, fmt.Errorf("%w: %s: settings: %v", ErrJob, j.ID, err)
	}
	for key, name := range map[string]string{"events": c.Events, "csv": c.CSV, "video": c.Video} {
		if name != "" && filepath.Base(name) != name {
			return config.Run{}, fmt.Errorf("%w: %s: settings: %s %q: want a file name (outputs stay in the job's own folder)", ErrJob, j.ID, key, name)
		}
	}
	c.Sources, c.Model, c.Classifier, c.Out = []string{j.Source}, j.Model, j.Classifier, out
	c.Stdout, c.Realtime, c.WebRTC, c.Metrics = false, false, "", ""
	def := config.Default()
	if m.Provider == "" {
		m.Provider = def.Provider
	}
	if m.Batch == 0 {
		m.Batch = def.Batch
	}
	c.Provider, c.Device, c.TRTCache, c.TRTFP16, c.AllowFallback = m.Provider, m.Device, m.TRTCache, m.TRTFP16, m.AllowFallback
	c.Threads, c.OrtLib, c.Batch, c.Workers, c.WorkerNice = m.Threads, m.OrtLib, m.Batch, m.Workers, m.WorkerNice
	c.DispersionHead = m.DispersionHead
	if err := c.Validate(); err != nil {
		return config.Run{}, fmt.Errorf("%w: %s: %v", ErrJob, j.ID, err)
	}
	return c, nil
}

// checkSettingKey says why a settings key does not belong in a job.
func checkSettingKey(k string) error {
	switch {
	case slices.Contains(JobSettingKeys, k):
		return nil
	case jobFieldKeys[k] != "":
		return fmt.Errorf("settings key %q is the job's own field %q", k, jobFieldKeys[k])
	case slices.Contains(WorkerSettingKeys, k):
		return fmt.Errorf("settings key %q belongs to the machine: give it to metaood worker", k)
	case slices.Contains(NotJobKeys, k):
		return fmt.Errorf("settings key %q is for live runs, not replay jobs", k)
	}
	return fmt.Errorf("unknown settings key %q (job settings: %s)", k, strings.Join(JobSettingKeys, ", "))
}

// configKeys are the YAML keys of config.Run, for the test that every key is classified here.
func configKeys() []string { return yamlKeys(reflect.TypeOf(config.Run{})) }

// yamlKeys lists a struct's YAML keys, those of inlined structs included.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		k, opts, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if opts == "inline" {
			keys = append(keys, yamlKeys(t.Field(i).Type)...)
			continue
		}
		keys = append(keys, k)
	}
	return keys
}

// NewJob makes a job with an id derived from its content: the same source, model, classifier,
// settings and output give the same id, so submitting a drive twice names the same job (and its
// outputs) instead of queueing it twice.
func NewJob(source, model, classifier string, settings map[string]any, out Output) (Job, error) {
	j := Job{Format: JobFormat, Version: JobVersion, Source: source, Model: model, Classifier: classifier, Settings: settings, Output: out}
	key, err := json.Marshal([]any{source, model, classifier, settings, out}) // maps marshal with sorted keys
	if err != nil {
		return Job{}, fmt.Errorf("%w: %s: settings: %v", ErrJob, source, err)
	}
	sum := sha256.Sum256(key)
	j.ID = slug(source) + "-" + hex.EncodeToString(sum[:5])
	return j, nil
}

// slug is a readable prefix of a job id: the file's name without its extension, or the source's kind.
func slug(source string) string {
	name := source
	if k, _, ok := strings.Cut(source, ":"); ok && !strings.Contains(k, "/") && len(k) > 1 {
		name = k // synth:…, rtsp://…: the kind
	} else {
		name = strings.TrimSuffix(filepath.Base(source), filepath.Ext(source))
	}
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	if len(b) > 40 {
		b = b[:40]
	}
	if len(b) == 0 {
		return "job"
	}
	return string(b)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
