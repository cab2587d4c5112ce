package fleet

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestEveryConfigKeyClassified: each `metaood run` setting is a job setting, a job field, the
// worker's or not for jobs. A new setting fails this test until it is put in one list here.
func TestEveryConfigKeyClassified(t *testing.T) {
	for _, k := range configKeys() {
		n := 0
		for _, list := range [][]string{JobSettingKeys, WorkerSettingKeys, NotJobKeys} {
			if slices.Contains(list, k) {
				n++
			}
		}
		if jobFieldKeys[k] != "" {
			n++
		}
		if n != 1 {
			t.Errorf("config key %q is in %d of the fleet's key lists, want exactly 1 (fleet/job.go)", k, n)
		}
	}
}

func TestJobRunConfig(t *testing.T) {
	out := Output{Bucket: DefaultBucket}
	for _, tc := range []struct {
		name     string
		settings map[string]any
		out      Output
		want     string // error text; "" = valid
	}{
		{"defaults", nil, out, ""},
		{"replay settings", map[string]any{"frames": 100, "input_size": "256x128", "force": true, "video": "", "segment": "1m"}, out, ""},
		{"source is a field", map[string]any{"sources": []string{"a.mp4"}}, out, `"sources" is the job's own field "source"`},
		{"machine setting", map[string]any{"provider": "cuda"}, out, "belongs to the machine: give it to metaood worker"},
		{"live setting", map[string]any{"webrtc": "127.0.0.1:8080"}, out, "for live runs"},
		{"unknown key", map[string]any{"framez": 3}, out, `unknown settings key "framez"`},
		{"bad value", map[string]any{"threshold": 2}, out, "threshold"},
		{"fraction for an integer", map[string]any{"frames": 1.5}, out, "not a whole number"},
		{"events outside the job folder", map[string]any{"events": "/tmp/x.jsonl"}, out, "want a file name"},
		{"relative output folder", nil, Output{Dir: "out"}, "relative"},
		{"two outputs", nil, Output{Dir: "/x", Bucket: "b"}, "exactly one of bucket or dir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, err := NewJob("synth:frames=10", "", "", tc.settings, tc.out)
			if err != nil {
				t.Fatal(err)
			}
			err = j.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("valid job refused: %v", err)
				}
				c, err := j.RunConfig("/o", Machine{Threads: 2})
				if err != nil || c.Out != "/o" || c.Threads != 2 || c.Stdout || c.Sources[0] != "synth:frames=10" {
					t.Errorf("run config %+v, %v", c, err)
				}
				return
			}
			if !errors.Is(err, ErrJob) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want ErrJob saying %q", err, tc.want)
			}
		})
	}
}

// TestJobIDs: the id follows the content (same job, same id; other settings, other id) and
// reads as the source's name.
func TestJobIDs(t *testing.T) {
	out := Output{Bucket: DefaultBucket}
	a, _ := NewJob("/data/drive one.mp4", "", "", map[string]any{"frames": 10}, out)
	b, _ := NewJob("/data/drive one.mp4", "", "", map[string]any{"frames": 10}, out)
	c, _ := NewJob("/data/drive one.mp4", "", "", map[string]any{"frames": 11}, out)
	s, _ := NewJob("synth:seed=3", "", "", nil, out)
	if a.ID != b.ID || a.ID == c.ID {
		t.Errorf("ids %s %s %s: want equal for the same job, different for other settings", a.ID, b.ID, c.ID)
	}
	if !strings.HasPrefix(a.ID, "drive_one-") || !strings.HasPrefix(s.ID, "synth-") || CheckID("job id", a.ID) != nil {
		t.Errorf("ids %s, %s", a.ID, s.ID)
	}
	if CheckID("job id", "a.b") == nil || CheckID("job id", "") == nil {
		t.Error("ids with '.' or empty accepted")
	}
}

func TestParseJob(t *testing.T) {
	for _, tc := range []struct{ msg, want string }{
		{`{"format":"metaood-job","version":1,"id":"a","source":"synth","output":{"bucket":"b"},"submitted":"2026-01-01T00:00:00Z"}`, ""},
		{`{"format":"metaood-job","version":2,"id":"a","source":"synth","output":{"bucket":"b"}}`, "version 2"},
		{`{"format":"other","version":1}`, "format"},
		{`{"format":"metaood-job","version":1,"id":"a","source":"synth","output":{"bucket":"b"},"extra":1}`, "unknown field"},
		{`not json`, "unreadable"},
		{`{"format":"metaood-job","version":1,"id":"a.b","source":"synth","output":{"bucket":"b"}}`, "job id"},
	} {
		_, err := ParseJob([]byte(tc.msg))
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: error %v, want %q", tc.msg, err, tc.want)
		}
	}
}

func TestManifest(t *testing.T) {
	dir := t.TempDir()
	def := Output{Bucket: DefaultBucket}
	good := `
defaults:
  settings: {frames: 50, input_size: 256x128}
  output: {dir: shared-out}
jobs:
  - source: drives/a.mp4
  - source: synth:seed=4,frames=20
    id: my-drive
    settings: {frames: 20}
    output: {bucket: other}
`
	jobs, err := ParseManifest([]byte(good), dir, def)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].Source != filepath.Join(dir, "drives/a.mp4") || jobs[0].Output.Dir != filepath.Join(dir, "shared-out") ||
		jobs[0].Settings["frames"] != 50 || jobs[1].ID != "my-drive" || jobs[1].Settings["frames"] != 20 ||
		jobs[1].Settings["input_size"] != "256x128" || jobs[1].Output.Bucket != "other" {
		t.Errorf("jobs %+v", jobs)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"jobs: []", "no jobs"},
		{"jobs:\n  - model: m.onnx", "no source"},
		{"jobs:\n  - source: synth\n    colour: red", "colour"},
		{"jobs:\n  - source: synth\n  - source: synth", "same id"},
		{"jobs:\n  - source: synth\n    settings: {webrtc: ':8080'}", "live runs"},
	} {
		if _, err := ParseManifest([]byte(tc.yaml), dir, def); !errors.Is(err, ErrJob) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want ErrJob saying %q", tc.yaml, err, tc.want)
		}
	}
}

func TestExpandSources(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.mp4", "a.MKV", "notes.txt", "sub/c.avi"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644)
	}
	got, err := ExpandSources([]string{dir, "synth:frames=3", filepath.Join(dir, "notes.txt"), "synth", "rtsp://cam/1"})
	want := []string{filepath.Join(dir, "a.MKV"), filepath.Join(dir, "b.mp4"), filepath.Join(dir, "sub/c.avi"), "synth:frames=3",
		filepath.Join(dir, "notes.txt"), "synth", "rtsp://cam/1"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
	empty := t.TempDir()
	if _, err := ExpandSources([]string{empty}); !errors.Is(err, ErrJob) || !strings.Contains(err.Error(), "no video files") {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := ExpandSources([]string{filepath.Join(dir, "missing.mp4")}); !errors.Is(err, ErrJob) {
		t.Errorf("missing file: %v", err)
	}
}
