package stream

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"
)

func TestHTTPErrors(t *testing.T) {
	s := startServer(t, Config{Token: "s3cret"})
	base := strings.TrimSuffix(strings.Split(s.URL(), "?")[0], "/")
	bearer := map[string]string{"Authorization": "Bearer s3cret"}
	sdp := map[string]string{"Authorization": "Bearer s3cret", "Content-Type": "application/sdp"}
	cases := []struct {
		name    string
		method  string
		path    string
		headers map[string]string
		body    string
		want    int
		wantIn  string // substring of the response body
	}{
		{"page without token", "GET", "/", nil, "", 401, "token"},
		{"page with query token", "GET", "/?token=s3cret", nil, "", 200, "metaood live"},
		{"page wrong token", "GET", "/?token=nope", nil, "", 401, "token"},
		{"wrong host", "GET", "/?token=s3cret", map[string]string{"Host": "evil.example:80"}, "", 403, "not loopback"},
		{"offer without token", "POST", "/whep", map[string]string{"Content-Type": "application/sdp"}, "v=0", 401, ""},
		{"offer wrong type", "POST", "/whep", map[string]string{"Authorization": "Bearer s3cret", "Content-Type": "text/plain"}, "v=0", 415, "application/sdp"},
		{"offer too big", "POST", "/whep", sdp, strings.Repeat("a", maxSDPBytes+1), 413, "larger"},
		{"offer before any frame", "POST", "/whep", sdp, "v=0", 503, "no source"},
		{"trickle", "PATCH", "/whep/abc", bearer, "", 405, "trickle"},
		{"delete unknown", "DELETE", "/whep/abc", bearer, "", 404, "no such"},
		{"options", "OPTIONS", "/whep", bearer, "", 204, ""},
		{"metrics", "GET", "/metrics", bearer, "", 200, "metaood_stream_requests_rejected_total"},
		{"sources", "GET", "/sources", bearer, "", 200, "[]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			if h := c.headers["Host"]; h != "" {
				req.Host = h
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != c.want || !strings.Contains(string(b), c.wantIn) {
				t.Fatalf("%s %s = %d %q, want %d containing %q", c.method, c.path, res.StatusCode, b, c.want, c.wantIn)
			}
		})
	}
	t.Run("unknown source", func(t *testing.T) {
		s.PublishFrame("cam0", 0, time.Now(), 64, 64, make([]byte, 3*64*64))
		_, err := dialWHEP(t, base, "s3cret", "nosuch")
		if statusOf(err) != 404 || !strings.Contains(err.Error(), "cam0") {
			t.Fatalf("err = %v, want 404 naming cam0", err)
		}
	})
	t.Run("bad sdp", func(t *testing.T) {
		req, _ := http.NewRequest("POST", base+"/whep", strings.NewReader("not sdp"))
		for k, v := range sdp {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 400 {
			t.Fatalf("status %d, want 400", res.StatusCode)
		}
		if n := s.viewerCount(); n != 0 {
			t.Fatalf("%d viewers after a bad offer, want 0", n)
		}
	})
}

// TestTwoViewers connects two Go WHEP players: both receive VP8 and the events (the banner state
// replayed on join, then live ones); a third is refused at MaxViewers; DELETE frees a slot.
func TestTwoViewers(t *testing.T) {
	requireEncoder(t)
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) }) // registered first, so it runs after every other cleanup
	{
		s := startServer(t, Config{MaxViewers: 2, MaxPending: 2, BitrateKbps: 500})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f := feed(ctx, s, "cam0", 160, 96, 30)
		waitFor(t, "first frame", 5*time.Second, func() bool { return f.n.Load() > 0 })
		s.PublishEvent([]byte(`{"type":"emergency","source":"cam0","frame":1,"since_frame":1}`))
		s.PublishEvent([]byte(`{"type":"stats","source":"","frame":1}`))
		s.PublishEvent([]byte(`not json`)) // dropped, never forwarded

		var vs []*goViewer
		for i := 0; i < 2; i++ {
			v, err := dialWHEP(t, s.URL(), "", "")
			if err != nil {
				t.Fatalf("viewer %d: %v", i, err)
			}
			vs = append(vs, v)
		}
		if _, err := dialWHEP(t, s.URL(), "", "cam0"); statusOf(err) != http.StatusServiceUnavailable {
			t.Fatalf("third viewer: %v, want 503", err)
		}
		for i, v := range vs {
			select {
			case <-v.open:
			case <-time.After(10 * time.Second):
				t.Fatalf("viewer %d: data channel never opened", i)
			}
		}
		s.PublishEvent([]byte(`{"type":"clear","source":"cam0","frame":9,"since_frame":1,"duration_ms":300}`))
		for i, v := range vs {
			waitFor(t, "RTP packets", 10*time.Second, func() bool { return v.packets.Load() > 10 })
			var got []string
			for len(got) < 3 {
				select {
				case m := <-v.msgs:
					got = append(got, eventType(m))
				case <-time.After(5 * time.Second):
					t.Fatalf("viewer %d: events %v, want emergency, stats, clear", i, got)
				}
			}
			if strings.Join(got, ",") != "emergency,stats,clear" {
				t.Errorf("viewer %d: events %v, want [emergency stats clear] in order", i, got)
			}
		}
		// DELETE ends the session and frees the slot.
		req, _ := http.NewRequest(http.MethodDelete, strings.TrimSuffix(s.URL(), "/")+vs[0].location, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("DELETE: %v %v", res, err)
		}
		res.Body.Close()
		waitFor(t, "slot freed", 5*time.Second, func() bool { return s.viewerCount() == 1 })
		if _, err := dialWHEP(t, s.URL(), "", "cam0"); err != nil {
			t.Fatalf("viewer after DELETE: %v", err)
		}
		cancel()
		for _, v := range vs {
			_ = v.pc.Close()
		}
	}
}

// TestMetricsGatherer: with Config.Metrics set, /metrics serves that registry (which holds the
// server's own collectors too, as cmd/metaood registers them), still behind the token.
func TestMetricsGatherer(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "metaood_pipeline_test_total", Help: "test"}))
	s := startServer(t, Config{Token: "tk", Metrics: reg})
	reg.MustRegister(s.Collectors()...)
	base := strings.TrimSuffix(strings.Split(s.URL(), "?")[0], "/")
	get := func(auth string) (int, string) {
		req, _ := http.NewRequest("GET", base+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, _ := get(""); code != 401 {
		t.Errorf("/metrics without token: %d, want 401", code)
	}
	code, body := get("Bearer tk")
	for _, name := range []string{"metaood_pipeline_test_total", "metaood_stream_requests_rejected_total"} {
		if code != 200 || !strings.Contains(body, name) {
			t.Errorf("/metrics = %d, missing %s:\n%s", code, name, body)
		}
	}
}
