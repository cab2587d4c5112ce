package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// runWith runs the pipeline with a deadline so a hang fails the test instead of blocking it.
func runWith(t *testing.T, ctx context.Context, cfg Config) (Summary, error) {
	t.Helper()
	if cfg.Segmenter == nil {
		cfg.Segmenter = &fakeSeg{failAt: -1}
	}
	if cfg.Analyzer == nil {
		cfg.Analyzer = fakeAnalyzer{}
	}
	cfg.StatsEvery = -1
	type res struct {
		s   Summary
		err error
	}
	done := make(chan res, 1)
	go func() { s, err := Run(ctx, cfg); done <- res{s, err} }()
	select {
	case r := <-done:
		return r.s, r.err
	case <-time.After(20 * time.Second):
		t.Fatal("pipeline did not finish in 20 s")
		return Summary{}, nil
	}
}

func TestOrderPerSource(t *testing.T) {
	a := &fakeSource{id: "a", n: 25, w: 32, h: 16}
	b := &fakeSource{id: "b", n: 17, w: 64, h: 32}
	rec := &recordSink{}
	sum, err := runWith(t, context.Background(), Config{Sources: []frame.Source{a, b}, Workers: 3, Batch: 4, Sinks: []Sink{rec}})
	if err != nil {
		t.Fatal(err)
	}
	for src, n := range map[string]int{"a": 25, "b": 17} {
		got := rec.perSrc[src]
		if len(got) != n || !slices.IsSorted(got) {
			t.Errorf("source %s: frames %v, want 0..%d in order", src, got, n-1)
		}
	}
	if sum.Frames != 42 || sum.PerSource["a"] != 25 || rec.closed != 1 {
		t.Errorf("summary %+v, sink closed %d times", sum, rec.closed)
	}
	want := []string{"source:a", "source:b"} // opened, then ended, per source
	types := rec.types()
	for _, w := range want {
		if c := strings.Count(strings.Join(types, " "), w); c != 2 {
			t.Errorf("%d %q events, want 2 (opened, ended): %v", c, w, types)
		}
	}
}

func TestEmergencyRaiseClear(t *testing.T) {
	anoms := map[uint64]bool{}
	for i := uint64(3); i <= 8; i++ {
		anoms[i] = true
	}
	tr, err := event.NewTracker(event.DefaultTrackerConfig())
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordSink{}
	sum, err := runWith(t, context.Background(), Config{
		Sources: []frame.Source{&fakeSource{id: "cam", n: 15, w: 200, h: 100}}, Analyzer: fakeAnalyzer{anoms: anoms},
		Classifier: fakeClf{}, Tracker: tr, Sinks: []Sink{rec},
	})
	if err != nil {
		t.Fatal(err)
	}
	var seq []string
	for _, e := range rec.events {
		switch e := e.(type) {
		case *event.Emergency:
			seq = append(seq, "E")
			if e.Frame != 5 || e.SinceFrame != 3 || !e.Anomaly.InCorridor || e.Anomaly.Area != 400 {
				t.Errorf("emergency %+v", e)
			}
		case *event.Clear:
			seq = append(seq, "C")
			if e.Frame != 11 || e.SinceFrame != 3 {
				t.Errorf("clear %+v", e)
			}
		case *event.Anomalies:
			if len(e.Anomalies) != 1 || e.Rejected != 1 || e.Anomalies[0].PFP != 0.1 {
				t.Errorf("anomalies event %+v", e)
			}
			if e.EmitTS.Before(e.CaptureTS.Time) {
				t.Errorf("emit %v before capture %v", e.EmitTS, e.CaptureTS)
			}
		}
	}
	if strings.Join(seq, "") != "EC" {
		t.Errorf("emergency events %v, want E then C", seq)
	}
	if sum.Emergencies != 1 || sum.Kept != 6 || sum.Rejected != 15 {
		t.Errorf("summary %+v", sum)
	}
}

func TestNaNFramesCounted(t *testing.T) {
	rec := &recordSink{}
	sum, err := runWith(t, context.Background(), Config{
		Sources: []frame.Source{&fakeSource{id: "s", n: 10, w: 8, h: 8}}, Segmenter: &fakeSeg{failAt: -1, nan: map[uint64]bool{3: true, 7: true}, errAt: map[uint64]bool{8: true}},
		Sinks: []Sink{rec},
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Frames != 10 || sum.FrameErrors != 3 || len(sum.FirstErrors) != 3 || !strings.Contains(sum.FirstErrors[0], "frame 3: NaN") {
		t.Errorf("summary %+v", sum)
	}
}

func TestSegmentErrorIsFatalButOutputsClose(t *testing.T) {
	rec := &recordSink{}
	_, err := runWith(t, context.Background(), Config{
		Sources: []frame.Source{&fakeSource{id: "s", n: 50, w: 8, h: 8}}, Segmenter: &fakeSeg{failAt: 4}, Sinks: []Sink{rec},
	})
	if !errors.Is(err, ErrSegment) || !strings.Contains(err.Error(), "output shape") {
		t.Fatalf("err = %v, want ErrSegment naming the shape", err)
	}
	if rec.closed != 1 || len(rec.results) > 4 {
		t.Errorf("sink closed %d times, %d results", rec.closed, len(rec.results))
	}
}

func TestMaxFrames(t *testing.T) {
	rec := &recordSink{}
	sum, err := runWith(t, context.Background(), Config{Sources: []frame.Source{&fakeSource{id: "s", n: 100, w: 8, h: 8}}, MaxFrames: 7, Batch: 3, Sinks: []Sink{rec}})
	if err != nil || sum.Frames != 7 || len(rec.results) != 7 {
		t.Errorf("err %v, frames %d, results %d; want 7", err, sum.Frames, len(rec.results))
	}
}

func TestGracefulStopKeepsFrames(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int32
	rec := &recordSink{onFrame: func(*Result) {
		if n.Add(1) == 5 {
			cancel()
		}
	}}
	sum, err := runWith(t, ctx, Config{Sources: []frame.Source{&fakeSource{id: "cam", live: true, infinite: true, w: 8, h: 8}}, Sinks: []Sink{rec}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Frames < 5 || int(sum.Frames) != len(rec.results) || rec.closed != 1 {
		t.Errorf("frames %d, results %d, closed %d", sum.Frames, len(rec.results), rec.closed)
	}
	if ty := rec.types(); ty[len(ty)-1] != "source:cam" {
		t.Errorf("last event %v, want the source end", ty)
	}
}

func TestLiveSourceRetries(t *testing.T) {
	src := &fakeSource{id: "cam", live: true, n: 3, failAfter: 1, fails: 2, openFails: 0, w: 8, h: 8}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recordSink{onFrame: func(r *Result) {
		if r.Frame.Seq == 4 { // 1 + 1 from the failing runs, then 3 from the good one
			cancel()
		}
	}}
	_, err := runWith(t, ctx, Config{Sources: []frame.Source{src}, Sinks: []Sink{rec}, RetryBackoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, e := range rec.events {
		if s, ok := e.(*event.SourceState); ok {
			states = append(states, s.State)
		}
	}
	want := []string{"opened", "lost", "reconnected", "lost", "reconnected"}
	if len(states) < len(want) || !slices.Equal(states[:len(want)], want) {
		t.Errorf("source states %v, want prefix %v", states, want)
	}
}

func TestFileSourceErrorReported(t *testing.T) {
	rec := &recordSink{}
	sum, err := runWith(t, context.Background(), Config{
		Sources: []frame.Source{&fakeSource{id: "clip.mp4", n: 10, failAfter: 3, fails: 1, w: 8, h: 8}}, Sinks: []Sink{rec},
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Frames != 3 || len(sum.SourceErrors) != 1 || !strings.Contains(sum.SourceErrors[0], "clip.mp4: fake source broke") {
		t.Errorf("summary %+v", sum)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
	}{
		{"no source", Config{Segmenter: &fakeSeg{}, Analyzer: fakeAnalyzer{}}},
		{"no segmenter", Config{Sources: []frame.Source{&fakeSource{id: "a"}}, Analyzer: fakeAnalyzer{}}},
		{"duplicate ids", Config{Sources: []frame.Source{&fakeSource{id: "a"}, &fakeSource{id: "a"}}, Segmenter: &fakeSeg{}, Analyzer: fakeAnalyzer{}}},
		{"negative frames", Config{Sources: []frame.Source{&fakeSource{id: "a"}}, Segmenter: &fakeSeg{}, Analyzer: fakeAnalyzer{}, MaxFrames: -1}},
		{"nice too high", Config{Sources: []frame.Source{&fakeSource{id: "a"}}, Segmenter: &fakeSeg{}, Analyzer: fakeAnalyzer{}, WorkerNice: 20}},
		{"nice negative", Config{Sources: []frame.Source{&fakeSource{id: "a"}}, Segmenter: &fakeSeg{}, Analyzer: fakeAnalyzer{}, WorkerNice: -1}},
	}
	for _, c := range cases {
		if _, err := Run(context.Background(), c.cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", c.name, err)
		}
	}
}

func TestWebhookReceivesEvents(t *testing.T) {
	var got atomic.Int32
	var bad atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || !strings.HasPrefix(string(b), `{"v":1,"id":"`) {
			bad.Add(1)
		}
		got.Add(1)
	}))
	defer srv.Close()
	wh := NewWebhookSink(srv.URL, 256, time.Second, nil)
	rec := &recordSink{}
	anoms := map[uint64]bool{1: true, 2: true}
	_, err := runWith(t, context.Background(), Config{Sources: []frame.Source{&fakeSource{id: "s", n: 5, w: 100, h: 50}},
		Analyzer: fakeAnalyzer{anoms: anoms}, Sinks: []Sink{rec, wh}})
	if err != nil {
		t.Fatal(err)
	}
	if int(got.Load()) != len(rec.events) || bad.Load() != 0 || wh.Sent.Load() != uint64(len(rec.events)) {
		t.Errorf("webhook got %d POSTs (%d bad), sink saw %d events", got.Load(), bad.Load(), len(rec.events))
	}
}

func TestWebhookDropsWhenFull(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	wh := NewWebhookSink(srv.URL, 2, 5*time.Second, nil)
	for range 10 {
		if err := wh.Event(nil, []byte(`{"type":"x"}`)); err != nil {
			t.Fatal(err)
		}
	}
	if d := wh.Dropped.Load(); d < 7 {
		t.Errorf("dropped %d of 10 with a queue of 2, want ≥ 7", d)
	}
	close(release)
	if err := wh.Close(); !errors.Is(err, ErrSink) || !strings.Contains(err.Error(), "dropped by a full queue") {
		t.Errorf("Close after drops: %v, want an ErrSink counting them", err)
	}
	srv.CloseClientConnections()
}

// TestWebhookFailuresReported: POSTs the receiver refuses are counted and reported by Close
// with the last error; a webhook that delivered everything closes cleanly (TestWebhookReceivesEvents).
func TestWebhookFailuresReported(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	wh := NewWebhookSink(srv.URL, 8, time.Second, nil)
	for range 3 {
		wh.Event(nil, []byte(`{"type":"x"}`))
	}
	err := wh.Close()
	if !errors.Is(err, ErrSink) || !strings.Contains(err.Error(), "3 of 3 events not delivered (3 failed") || !strings.Contains(err.Error(), "503") {
		t.Errorf("Close: %v", err)
	}
}

func TestJSONLAndCSV(t *testing.T) {
	dir := t.TempDir()
	js, err := CreateJSONL(filepath.Join(dir, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := CreateCSV(filepath.Join(dir, "summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	anoms := map[uint64]bool{1: true}
	_, err = runWith(t, context.Background(), Config{Sources: []frame.Source{&fakeSource{id: "s", n: 4, w: 100, h: 50}},
		Analyzer: fakeAnalyzer{anoms: anoms}, Segmenter: &fakeSeg{failAt: -1, nan: map[uint64]bool{2: true}}, Sinks: []Sink{js, cs}})
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := os.ReadFile(filepath.Join(dir, "events.jsonl"))
	lines := strings.Split(strings.TrimSpace(string(ev)), "\n")
	// opened, anomalies of frames 0, 1, 3 (the corner component is kept without a classifier; frame 2
	// is NaN), ended last.
	if len(lines) != 5 || !strings.Contains(lines[1], `"type":"anomalies"`) || !strings.Contains(lines[4], `"state":"ended"`) {
		t.Errorf("events file:\n%s", ev)
	}
	csvText, _ := os.ReadFile(filepath.Join(dir, "summary.csv"))
	rows := strings.Split(strings.TrimSpace(string(csvText)), "\n")
	if len(rows) != 5 || rows[0] != strings.Join(CSVHeader, ",") || !strings.Contains(rows[3], "NaN logits") {
		t.Errorf("csv:\n%s", csvText)
	}
}

func TestCheckOutDir(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o644)
	cases := []struct {
		dir     string
		wantErr bool
	}{
		{filepath.Join(dir, "new", "nested"), false},
		{filepath.Join(blocker, "sub"), true},
	}
	if os.Getuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		cases = append(cases, struct {
			dir     string
			wantErr bool
		}{ro, true})
	}
	for _, c := range cases {
		err := CheckOutDir(c.dir)
		if (err != nil) != c.wantErr || (err != nil && (!errors.Is(err, ErrOutDir) || !strings.Contains(err.Error(), c.dir) || !strings.Contains(err.Error(), "writable"))) {
			t.Errorf("CheckOutDir(%s) = %v, wantErr %v", c.dir, err, c.wantErr)
		}
	}
}

func TestMetricsServed(t *testing.T) {
	m := NewMetrics()
	_, err := runWith(t, context.Background(), Config{Sources: []frame.Source{&fakeSource{id: "s", n: 3, w: 8, h: 8}}, Metrics: m, Provider: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	rr := httptest.NewRecorder()
	m.Handler().ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	body := rr.Body.String()
	for _, want := range []string{`metaood_stage_seconds_count{stage="infer"}`, `metaood_frames_total{source="s"} 3`, `metaood_execution_provider{provider="cpu"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if q := m.Quantiles()[StagePostproc]; q.P99MS < q.P50MS {
		t.Errorf("quantiles %+v", q)
	}
}

// TestDeviceFirstOpenFails: a device whose first open fails (a wrong index or URL) is reported
// and not retried for ever; one that fails later is reopened, with one "lost" event however many
// reopens fail.
func TestDeviceFirstOpenFails(t *testing.T) {
	rec := &recordSink{}
	src := &fakeSource{id: "cam", live: true, n: 3, openFails: 1, w: 8, h: 8}
	sum, err := runWith(t, context.Background(), Config{Sources: []frame.Source{src}, Sinks: []Sink{rec}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Frames != 0 || len(sum.SourceErrors) != 1 || !strings.Contains(sum.SourceErrors[0], "cam: open 1: fake source broke") || src.opens != 1 {
		t.Errorf("frames %d, source errors %v, opens %d; want 0, the open error, 1", sum.Frames, sum.SourceErrors, src.opens)
	}
	if got := strings.Join(rec.types(), ","); got != "source:cam" {
		t.Errorf("events %s, want one source event (lost)", got)
	}
}

func TestDeviceReopenFailuresReportedOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The first stream ends after 2 frames; the next 3 opens fail.
	src := &fakeSource{id: "cam", live: true, n: 2, w: 8, h: 8, failOpens: map[int]bool{2: true, 3: true, 4: true}}
	rec := &recordSink{onFrame: func(r *Result) {
		if r.Frame.Seq >= 2 { // a frame of a later stream (the live edge may have dropped some)
			cancel()
		}
	}}
	if _, err := runWith(t, ctx, Config{Sources: []frame.Source{src}, Sinks: []Sink{rec}, RetryBackoff: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, e := range rec.events {
		if s, ok := e.(*event.SourceState); ok {
			states = append(states, s.State)
		}
	}
	// Three failed reopens between the loss and the reconnect: one "lost" event.
	if got := strings.Join(states, ","); !strings.HasPrefix(got, "opened,lost,reconnected,") || !strings.HasSuffix(got, ",ended") {
		t.Errorf("source states %s, want opened,lost,reconnected,…,ended", got)
	}
	if src.opens < 5 {
		t.Errorf("%d opens, want at least 5 (1 + 3 failed + 1)", src.opens)
	}
}

// TestLiveEdgeDropsOldFrames: a live source faster than inference loses its older frames at the
// edge, counted; inference never gets two frames of one live source in a batch (it would be
// working on a frame older than the newest).
func TestLiveEdgeDropsOldFrames(t *testing.T) {
	const n = 200
	seg := &slowSeg{delay: 5 * time.Millisecond}
	src := &fakeSource{id: "cam", paced: true, n: n, w: 8, h: 8, every: 100 * time.Microsecond}
	sum, err := runWith(t, context.Background(), Config{Sources: []frame.Source{src}, Segmenter: seg, Batch: 4, Sinks: []Sink{&recordSink{}}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Frames+sum.Dropped != n || sum.Dropped == 0 {
		t.Errorf("frames %d + dropped %d, want %d with some dropped", sum.Frames, sum.Dropped, n)
	}
	if seg.maxBatch.Load() > 1 {
		t.Errorf("a batch held %d frames of the one live source, want 1", seg.maxBatch.Load())
	}
}

// slowSeg is fakeSeg after a delay, recording the largest batch.
type slowSeg struct {
	fakeSeg
	delay    time.Duration
	maxBatch atomic.Int32
}

func (s *slowSeg) Segment(frames []*frame.Frame) ([]*frame.Map, error) {
	time.Sleep(s.delay)
	if int32(len(frames)) > s.maxBatch.Load() {
		s.maxBatch.Store(int32(len(frames)))
	}
	s.fakeSeg.failAt = -1
	return s.fakeSeg.Segment(frames)
}

// nanClf is a classifier whose input broke: every probability is NaN.
type nanClf struct{}

func (nanClf) PredictBatch(x []float64, n int, out []float64) {
	for i := range out[:n] {
		out[i] = math.NaN()
	}
}
func (nanClf) Threshold() float64 { return 0.5 }

// TestNaNProbabilityKeepsAndReports: a NaN P(false positive) keeps the component (safety) and
// its anomalies event still goes out (JSON has no NaN), with p_fp 0.
func TestNaNProbabilityKeepsAndReports(t *testing.T) {
	rec := &recordSink{}
	sum, err := runWith(t, context.Background(), Config{
		Sources: []frame.Source{&fakeSource{id: "s", n: 3, w: 8, h: 8}}, Segmenter: &fakeSeg{failAt: -1},
		Analyzer: fakeAnalyzer{}, Classifier: nanClf{}, Sinks: []Sink{rec},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := 0
	for _, l := range rec.lines {
		if strings.Contains(l, `"type":"anomalies"`) {
			n++
			if !strings.Contains(l, `"p_fp":0,`) {
				t.Errorf("line %s", l)
			}
		}
	}
	if sum.Kept != 3 || sum.Rejected != 0 || n != 3 || len(sum.SinkErrors) != 0 {
		t.Errorf("kept %d rejected %d, %d anomalies lines, sink errors %v", sum.Kept, sum.Rejected, n, sum.SinkErrors)
	}
}

// TestEmergencyClearedWhenSourceEnds: a source that ends during an emergency gets its clear
// event just before its "ended" event, so no emergency stays open in the events.
func TestEmergencyClearedWhenSourceEnds(t *testing.T) {
	anoms := map[uint64]bool{}
	for i := uint64(4); i < 10; i++ {
		anoms[i] = true
	}
	tr, err := event.NewTracker(event.DefaultTrackerConfig())
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordSink{}
	if _, err := runWith(t, context.Background(), Config{
		Sources: []frame.Source{&fakeSource{id: "cam", n: 10, w: 200, h: 100}}, Analyzer: fakeAnalyzer{anoms: anoms},
		Classifier: fakeClf{}, Tracker: tr, Sinks: []Sink{rec},
	}); err != nil {
		t.Fatal(err)
	}
	var seq []string
	for _, e := range rec.events {
		switch e := e.(type) {
		case *event.Emergency:
			seq = append(seq, "E")
		case *event.Clear:
			seq = append(seq, "C")
			if e.SinceFrame != 4 {
				t.Errorf("clear %+v", e)
			}
		case *event.SourceState:
			seq = append(seq, e.State)
			if e.State == event.StateEnded && e.Frame != 9 {
				t.Errorf("ended event at frame %d, want 9 (the source's last frame)", e.Frame)
			}
		}
	}
	if got := strings.Join(seq, ","); got != "opened,E,C,ended" {
		t.Errorf("events %s, want opened,E,C,ended", got)
	}
	if tr.Active("cam") {
		t.Error("tracker still active after the source ended")
	}
}

// TestDeviceStallReopened: a device whose read hangs (no frame, no error) is declared lost after
// StallTimeout and reopened; the hung read finishes in the background when it returns.
func TestDeviceStallReopened(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := &fakeSource{id: "rtsp", live: true, n: 2, w: 8, h: 8, stallOpens: map[int]bool{1: true}, release: make(chan struct{})}
	defer close(src.release) // the hung read returns: no goroutine left behind
	rec := &recordSink{onFrame: func(r *Result) {
		if r.Frame.Seq >= 2 { // a frame of the second stream
			cancel()
		}
	}}
	if _, err := runWith(t, ctx, Config{Sources: []frame.Source{src}, Sinks: []Sink{rec}, RetryBackoff: time.Millisecond,
		StallTimeout: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	var lost []string
	for _, e := range rec.events {
		if s, ok := e.(*event.SourceState); ok && s.State == event.StateLost {
			lost = append(lost, s.Detail)
		}
	}
	if len(lost) == 0 || !strings.Contains(lost[0], "stalled: no frame for 50ms after 2 frames") {
		t.Errorf("lost events %q, want the stall", lost)
	}
}

// TestWebhookRetriesWhileReceiverDown: a receiver down for a while (503, then refused
// connections) loses no event: each is retried with backoff and delivered in order.
func TestWebhookRetriesWhileReceiverDown(t *testing.T) {
	var up atomic.Bool
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "restarting", http.StatusServiceUnavailable)
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
	}))
	defer srv.Close()
	wh := NewWebhookSink(srv.URL, 64, time.Second, nil)
	for i := range 20 {
		wh.Event(nil, []byte(fmt.Sprintf(`{"type":"x","i":%d}`, i)))
	}
	time.Sleep(300 * time.Millisecond) // the receiver is down meanwhile
	up.Store(true)
	if err := wh.Close(); err != nil {
		t.Fatalf("Close: %v, want every event delivered", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 20 || got[0] != `{"type":"x","i":0}` || got[19] != `{"type":"x","i":19}` || wh.Failed.Load() != 0 {
		t.Errorf("%d delivered (first %q), %d failed; want 20 in order, 0 failed", len(got), got[:min(1, len(got))], wh.Failed.Load())
	}
}

// TestWebhookRefusedPayloadNotRetried: a 400 is final (the payload will not get better).
func TestWebhookRefusedPayloadNotRetried(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Error(w, "bad", http.StatusBadRequest)
	}))
	defer srv.Close()
	wh := NewWebhookSink(srv.URL, 8, time.Second, nil)
	wh.Event(nil, []byte(`{"type":"x"}`))
	if err := wh.Close(); !errors.Is(err, ErrSink) || n.Load() != 1 {
		t.Errorf("Close: %v after %d POSTs; want ErrSink after 1", err, n.Load())
	}
}
