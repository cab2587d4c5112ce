package config

import (
	"errors"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func TestDefaultConfFile(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	c, err := Load(filepath.Join(filepath.Dir(file), "..", "metaood.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := Default(); !reflect.DeepEqual(c, want) {
		t.Errorf("metaood.yml loads to\n%+v\nwant the defaults\n%+v", c, want)
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

func TestConfErrors(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"sourcez: [a]", "field sourcez not found"},
		{"threshold: high", "cannot unmarshal"},
		{"threshold: 1.5", "threshold (--threshold)"},
		{"batch: 0", "batch (--batch)"},
		{"preset: rgb", "preset (--preset)"},
		{"provider: gpu", "provider (--provider)"},
		{"classes: 1", "classes (--classes)"},
		{"sources: []", "source (--source)"},
		{"input_size: 12", "input_size (--input-size)"},
		{"corridor: '0,0;1,1'", "corridor (--corridor)"},
		{"emergency_k: 9", "corridor (--corridor)"},
		{"roi: '0,0;1,1'", "roi (--roi)"},
		{"metrics: 0.0.0.0:9090", "metrics (--metrics)"},
		{"metrics: nohost", "metrics (--metrics)"},
		{"worker_nice: 20", "worker_nice (--worker-nice)"},
		{"webhook: ftp://x", "webhook (--webhook)"},
		{"nats: http://x:4222\nvehicle: car1", "nats (--nats)"},
		{"nats: nats://x:4222", "vehicle (--vehicle)"},
		{"nats: nats://x:4222\nvehicle: car.1", "vehicle (--vehicle)"},
		{"log_level: loud", "log_level (--log-level)"},
		{"log_format: xml", "log_format (--log-format)"},
		{"events: ''", "events (--events)"},
		{"frames: -1", "frames (--frames)"},
		{"device: -1", "device (--device)"},
		{"threads: -2", "threads (--threads)"},
		{"dispersion_head: true\nprobs: true", "dispersion_head (--dispersion-head)"},
		{"bitrate: 50", "bitrate (--bitrate)"},
		{"bitrate: 60000", "bitrate (--bitrate)"},
		{"max_viewers: 0", "max_viewers (--max-viewers)"},
		{"max_viewers: 65", "max_viewers (--max-viewers)"},
		{"allow_fallback: maybe", "cannot unmarshal"},
		{"webrtc: 0.0.0.0:8080", "pass --public"},
		{"webrtc: 192.168.1.5:8080", "pass --public"},
		{"webrtc: ':8080'", "pass --public"},
		{"webrtc: 127.0.0.1", "webrtc (--webrtc)"},
		{"webrtc: 0.0.0.0:8080\npublic: true", "public (--public)"}, // public needs a token
		{"metrics: 0.0.0.0:9090\npublic: true", "pass --token SECRET or drop --public"},
		{"webrtc: 127.0.0.1:99999", "webrtc (--webrtc)"},
		{"workers: 100000", "workers (--workers)"},
		{"sources: [synth:frames=3,size=64x32]", "quote the source"},
		{"webhook: 'http://'", "webhook (--webhook)"},
		{"video: out.xyz", "video (--video)"},
		{"stall_timeout: -1s", "stall_timeout (--stall-timeout)"},
		{"stall_timeout: soon", "cannot unmarshal"},
		{"segment: 10ms", "segment (--segment)"},
		{"video_codec: hevc", "video_codec (--video-codec)"},
		{"segment: 0s\nretain_mb: 100", "give --segment too"},
		{"segment: 0s\nretain_age: 24h", "retain_age (--retain-age): applies to segments"},
		{"retain_age: -1h", "retain_age (--retain-age)"},
		{"retain_age: 30s", "shorter than a segment"},
		{"clip_retain_mb: -1", "clip_retain_mb (--clip-retain-mb): -1 is negative"},
		{"clip_retain_age: -1h", "clip_retain_age (--clip-retain-age)"},
		{"clip_pre: 0s\nclip_post: 0s\nclip_retain_mb: 500", "applies to emergency clips"},
		{"video_bitrate: 50", "video_bitrate (--video-bitrate)"},
		{"video_codec: h264", "does not go into .webm"},
		{"clip_pre: -1s", "clip_pre (--clip-pre)"},
		{"clip_pre: 1h", "clip_pre (--clip-pre)"},
		{"clip_post: 1h", "clip_post (--clip-post)"},
		{"frames: 1.5", "frames"},
		{"webrtc_udp_port: 8189.5", "webrtc_udp_port"},
		{"webrtc_udp_port: 70000", "webrtc_udp_port (--webrtc-udp-port)"},
		{"webrtc_public_ips: [203.0.113.7]", "need --public"},
		{"webrtc_public_ips: [rig.example]\npublic: true\ntoken: t", "webrtc_public_ips (--webrtc-public-ip): invalid network setting: public IP"},
		{"webrtc_ice_servers: ['turn:turn.example.org']", "webrtc_ice_servers (--webrtc-ice-server)"},
		{"webrtc_ice_servers: ['turn:u:pw@turn.example.org:99999']", "u:REDACTED@"},
		{"webrtc_allow_origins: [player.example]", "webrtc_allow_origins (--webrtc-allow-origin)"},
		{"webrtc_allow_origins: ['*']\ntoken: t", "name the player's origin"},
		{"frames: 3\n---\nframes: 4\n", "one YAML document"},
		{"webhook_events: [emergencies]", `webhook_events (--webhook-events): bad event type: "emergencies"; valid types: anomalies, emergency, clear, source, stats, or all`},
		{"webhook_events: []", "webhook_events (--webhook-events): bad event type: no type given"},
		{"file_events: [anomaly]", "file_events (--file-events)"},
		{"stdout_events: [stat]", "stdout_events (--stdout-events)"},
		{"mqtt_events: [all, x]", "mqtt_events (--mqtt-events)"},
		{"mqtt: broker:1883", "mqtt (--mqtt): bad MQTT settings: broker \"broker:1883\" is not a URL like tcp://host:1883"},
		{"mqtt: tcp://u:p@broker", "carries credentials"},
		{"mqtt: tcp://broker\nmqtt_prefix: 'a/+'", "mqtt_prefix (--mqtt-prefix)"},
		{"mqtt_user: me", "mqtt_user (--mqtt-user): applies to the MQTT output"},
		{"mqtt_password_file: /run/secret", "mqtt_password_file (--mqtt-password-file)"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.yaml))
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want it to contain %q", c.yaml, err, c.want)
		}
	}
	if _, err := Load("/nonexistent/metaood.yml"); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "--config") {
		t.Errorf("missing file: %v", err)
	}
}

// TestConfAccepts: values at the edges of what Validate allows.
func TestConfAccepts(t *testing.T) {
	for _, y := range []string{
		"webrtc: 127.0.0.1:0",
		"webrtc: localhost:8080",
		"webrtc: '[::1]:8080'",
		"webrtc: 0.0.0.0:8080\npublic: true\ntoken: t",
		"provider: tensorrt\ndevice: 1\ntrt_cache: /tmp/trt\ntrt_fp16: true\nallow_fallback: true\nthreads: 2",
		"bitrate: 100\nmax_viewers: 64",
		"ort_lib: /opt/ort/libonnxruntime.so",
		"video: a.mp4\nvideo_codec: h264\nretain_age: 24h\nretain_mb: 2048",
		"clip_retain_mb: 500\nclip_retain_age: 168h",
		"video_codec: vp8\nclip_pre: 0s\nclip_post: 0s\nvideo_bitrate: 100",
		"segment: 0s\nvideo: a.webm",
		"nats: nats://fleet:4222,tls://fleet2:4222\nvehicle: car-7",
	} {
		if _, err := Parse([]byte(y)); err != nil {
			t.Errorf("%q: %v", y, err)
		}
	}
}

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		w, h int
		ok   bool
	}{{"1024x512", 1024, 512, true}, {" 64X32 ", 64, 32, true}, {"0x5", 0, 0, false}, {"12", 0, 0, false}, {"axb", 0, 0, false}}
	for _, c := range cases {
		w, h, err := ParseSize(c.in)
		if (err == nil) != c.ok || w != c.w || h != c.h {
			t.Errorf("ParseSize(%q) = %d %d %v", c.in, w, h, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("sources: [synth]\nbatch: 2\n"))
	f.Add([]byte("threshold: .5\ncorridor: '0,0;1,0;1,1'"))
	f.Add([]byte("segment: 0\nclip_pre: 0 # none\n{a: 1}"))
	f.Add([]byte("{clip_pre: 0, clip_post: 0}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err == nil && c.Validate() != nil {
			t.Fatal("Parse accepted an invalid config")
		}
	})
}
