package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/metaood/metaood/config"
)

// TestMetricsServerGuarded: --metrics ADDR honours --token and the loopback Host check, as the
// viewer's own /metrics does: without the token it is a 401, with a foreign Host a 403.
func TestMetricsServerGuarded(t *testing.T) {
	c := config.Default()
	c.Sources = []string{"synth:frames=0,size=64x32"} // endless
	c.Out = t.TempDir()
	c.Stdout = false
	c.Metrics = "127.0.0.1:0"
	c.Token = "tk"
	info := &syncBuffer{}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() {
		_, _, err := runPipeline(ctx, c, quietLog(), io.Discard, info)
		done <- err
	}()
	url := ""
	for deadline := time.Now().Add(30 * time.Second); url == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no metrics URL within 30 s:\n%s", info.String())
		}
		if _, after, ok := strings.Cut(info.String(), "metrics: "); ok && strings.Contains(after, "\n") {
			url = strings.TrimSpace(after[:strings.Index(after, "\n")])
		}
	}
	for _, k := range []struct {
		name, auth, host string
		want             int
	}{
		{"no token", "", "", http.StatusUnauthorized},
		{"wrong token", "Bearer nope", "", http.StatusUnauthorized},
		{"token", "Bearer tk", "", http.StatusOK},
		{"token, foreign host", "Bearer tk", "evil.example", http.StatusForbidden},
	} {
		req, _ := http.NewRequest("GET", url, nil)
		if k.auth != "" {
			req.Header.Set("Authorization", k.auth)
		}
		if k.host != "" {
			req.Host = k.host
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != k.want {
			t.Errorf("%s: %d, want %d", k.name, res.StatusCode, k.want)
		}
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("run did not stop within 60 s of cancel")
	}
}
