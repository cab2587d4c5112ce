package stream

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer collects log output written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// get sends one request to the server at base and returns the status and body.
func get(t *testing.T, method, url, host string, headers map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// baseURL is the server's address without the token.
func baseURL(s *Server) string { return strings.TrimSuffix(strings.Split(s.URL(), "?")[0], "/") }

// TestTokenNeverLeaks: with a token set, no response and no log line carries it. A foreign Host
// without the token gets 401 (the token is checked first), where it used to get a 403 whose body
// held the viewer URL with ?token=.
func TestTokenNeverLeaks(t *testing.T) {
	const tok = "s3cret-tok"
	logs := &lockedBuffer{}
	s, err := New(Config{Addr: "127.0.0.1:0", Token: tok},
		slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	base := baseURL(s)
	for _, c := range []struct {
		name, host, query string
		want              int
	}{
		{"foreign host, no token", "x", "", 401},
		{"foreign host, wrong token", "evil.example:80", "?token=nope", 401},
		{"foreign host, right token", "x", "?token=" + tok, 403},
		{"loopback, no token", "", "", 401},
	} {
		code, body := get(t, "GET", base+"/"+c.query, c.host, nil, "")
		if code != c.want || strings.Contains(body, tok) {
			t.Errorf("%s: %d %q, want %d without the token", c.name, code, body, c.want)
		}
	}
	code, body := get(t, "POST", base+"/whep", "", map[string]string{"Content-Type": "application/sdp", "Authorization": "Bearer " + tok}, "v=0")
	if strings.Contains(body, tok) {
		t.Errorf("offer: %d %q holds the token", code, body)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if l := logs.String(); strings.Contains(l, tok) || !strings.Contains(l, "live viewer") {
		t.Errorf("log holds the token (or lacks the viewer line):\n%s", l)
	}
}

// TestBearerCaseInsensitive: the auth scheme is case-insensitive (RFC 7235 §2.1); another scheme
// or a wrong token is refused.
func TestBearerCaseInsensitive(t *testing.T) {
	s := startServer(t, Config{Token: "tk"})
	for _, c := range []struct {
		auth string
		want int
	}{
		{"Bearer tk", 200}, {"bearer tk", 200}, {"BEARER tk", 200}, {"Bearer  tk", 200},
		{"Basic tk", 401}, {"Bearer tk2", 401}, {"Bearertk", 401}, {"", 401},
	} {
		if code, body := get(t, "GET", baseURL(s)+"/sources", "", map[string]string{"Authorization": c.auth}, ""); code != c.want {
			t.Errorf("Authorization %q: %d %q, want %d", c.auth, code, body, c.want)
		}
	}
}
