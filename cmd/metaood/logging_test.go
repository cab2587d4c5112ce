package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestLogFormat(t *testing.T) {
	var b bytes.Buffer
	log := newLoggerAs("info", "json", &b)
	log.Debug("hidden")
	log.With("stage", "infer").Warn("slow frame", "ms", 41.5)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("json logger wrote %d lines, want 1 (debug filtered out): %q", len(lines), b.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("json logger wrote %q: %v", lines[0], err)
	}
	for k, want := range map[string]any{"level": "WARN", "msg": "slow frame", "stage": "infer", "ms": 41.5} {
		if rec[k] != want {
			t.Errorf("json record %q = %v, want %v (record %s)", k, rec[k], want, lines[0])
		}
	}
	if _, ok := rec["time"]; !ok {
		t.Errorf("json record has no time: %s", lines[0])
	}

	b.Reset()
	newLoggerAs("debug", "text", &b).Info("ready", "url", "http://127.0.0.1:8080/")
	if s := b.String(); !strings.Contains(s, "level=INFO") || !strings.Contains(s, `msg=ready`) || strings.HasPrefix(s, "{") {
		t.Errorf("text logger wrote %q", s)
	}
}

func TestLogFormatFlag(t *testing.T) {
	c, err := parseRunFlags([]string{"--log-format", "json"}, io.Discard)
	if err != nil || c.LogFormat != "json" {
		t.Fatalf("--log-format json: LogFormat %q, err %v", c.LogFormat, err)
	}
	if c, err := parseRunFlags(nil, io.Discard); err != nil || c.LogFormat != "text" {
		t.Fatalf("default: LogFormat %q, err %v; want text", c.LogFormat, err)
	}
	_, err = parseRunFlags([]string{"--log-format", "xml"}, io.Discard)
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "log_format (--log-format)") {
		t.Fatalf("--log-format xml: %v; want a usage error naming the flag", err)
	}
}
