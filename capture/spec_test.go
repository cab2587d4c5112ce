package capture

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	dir := t.TempDir()
	video := filepath.Join(dir, "drive.mp4")
	if err := os.WriteFile(video, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		spec   string
		kind   kind
		id     string
		target string
		params map[string]string
	}{
		{"synth", kindSynth, "synth", "", nil}, // a drive's spec stays in target (synth.ParseSpec reads it)
		{"synth:seed=3,frames=600,size=1024x512,fps=30", kindSynth, "synth", "seed=3,frames=600,size=1024x512,fps=30", nil},
		{"front=synth:seed=2", kindSynth, "front", "seed=2", nil},
		{"cam:0", kindCamera, "cam0", "0", map[string]string{}},
		{"cam:2,size=1280x720,fps=30", kindCamera, "cam2", "2", map[string]string{"size": "1280x720", "fps": "30"}},
		{"/dev/video4", kindCamera, "video4", "/dev/video4", map[string]string{}},
		{"cam:/dev/video1", kindCamera, "video1", "/dev/video1", map[string]string{}},
		{"rtsp://user:secret@10.0.0.5:554/stream1", kindURL, "10.0.0.5:554/stream1", "rtsp://user:secret@10.0.0.5:554/stream1", nil},
		{"HTTP://cam.local/video.mjpg", kindURL, "cam.local/video.mjpg", "HTTP://cam.local/video.mjpg", nil},
		{"tcp://127.0.0.1:5000", kindURL, "127.0.0.1:5000", "tcp://127.0.0.1:5000", nil},
		{"gst:v4l2src ! videoconvert ! appsink", kindGst, "gst", "v4l2src ! videoconvert ! appsink", nil},
		{video, kindVideo, "drive.mp4", video, nil},
		{"file://" + video, kindVideo, "drive.mp4", video, nil},
		{"left=" + video, kindVideo, "left", video, nil},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			sp, err := parseSpec(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if sp.kind != tc.kind || sp.id != tc.id || sp.target != tc.target {
				t.Errorf("got %v id %q target %q; want %v %q %q", sp.kind, sp.id, sp.target, tc.kind, tc.id, tc.target)
			}
			for k, v := range tc.params {
				if sp.params[k] != v {
					t.Errorf("param %s = %q, want %q", k, sp.params[k], v)
				}
			}
			if strings.Contains(sp.id, "secret") {
				t.Errorf("id %q leaks credentials", sp.id)
			}
		})
	}
}

func TestParseSpecErrors(t *testing.T) {
	cases := []struct {
		spec string
		want error
		msg  string
	}{
		{"", ErrSpec, "video file"},
		{"synth:speed=3", ErrSpec, "seed, frames, size, fps, anomalies, first, step"},
		{"synth:seed", ErrSpec, "key=value"},
		{"synth:seed=1,seed=2", ErrSpec, "twice"},
		{"cam:front", ErrSpec, "cam:0"},
		{"cam:0,zoom=2", ErrSpec, "zoom"},
		{"gst:", ErrSpec, "empty GStreamer"},
		{"rtsp://", ErrSpec, "does not parse"},
		{"/nonexistent/drive.mp4", ErrOpen, "/nonexistent/drive.mp4: no such file"},
	}
	for _, tc := range cases {
		_, err := parseSpec(tc.spec)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("parseSpec(%q) = %v; want %v mentioning %q", tc.spec, err, tc.want, tc.msg)
		}
	}
}

func TestSynthParamErrors(t *testing.T) {
	for _, spec := range []string{"synth:frames=-1", "synth:size=10x10", "synth:size=big", "synth:fps=0", "synth:anomalies=2", "synth:seed=x"} {
		if _, err := Open(spec, Options{}, nil); !errors.Is(err, ErrSpec) {
			t.Errorf("Open(%q) = %v, want ErrSpec", spec, err)
		}
	}
	if _, err := Open("synth", Options{FPS: -1}, nil); !errors.Is(err, ErrOptions) {
		t.Errorf("negative fps: %v, want ErrOptions", err)
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"synth:seed=3,frames=600", "cam:0,size=640x480", "rtsp://u:p@h/x", "gst:a ! b", "id=synth", "/dev/video0", "x=y=z", "*.png"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsAny(s, "*?[") && strings.Contains(s, "/") {
			t.Skip("a glob over the machine's file system is slow, not wrong")
		}
		sp, err := parseSpec(s)
		if err != nil {
			if !errors.Is(err, ErrSpec) && !errors.Is(err, ErrOpen) {
				t.Fatalf("parseSpec(%q): %v wraps no sentinel", s, err)
			}
			return
		}
		if sp.id == "" {
			t.Fatalf("parseSpec(%q): empty id", s)
		}
	})
}
