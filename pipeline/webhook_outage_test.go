package pipeline

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/metaood/metaood/event"
)

// receiver is a webhook receiver on a fixed loopback port that can answer 503, be shut down
// (connections refused) and come back on the same port.
type receiver struct {
	t     *testing.T
	addr  string
	mu    sync.Mutex
	srv   *http.Server
	down  bool // answer 503
	lines []string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.serve(ln)
	return r
}

func (r *receiver) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.down {
			http.Error(w, "restarting", http.StatusServiceUnavailable)
			return
		}
		r.lines = append(r.lines, string(b))
	})}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go srv.Serve(ln)
}

func (r *receiver) set503(down bool) {
	r.mu.Lock()
	r.down = down
	r.mu.Unlock()
}

// stop closes the listener and every connection: POSTs are refused until start.
func (r *receiver) stop() {
	r.mu.Lock()
	srv := r.srv
	r.mu.Unlock()
	srv.Close()
}

// start listens again on the same port.
func (r *receiver) start() {
	var ln net.Listener
	var err error
	for range 50 { // the old socket may linger a moment
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatalf("receiver cannot listen on %s again: %v", r.addr, err)
	}
	r.serve(ln)
}

func (r *receiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.lines)
}

// TestWebhookReceiverDownFiveSecondsLosesNoEmergency: a drive of 60 events a second (anomalies
// every frame, stats, three emergencies and their clears) goes to a webhook whose receiver
// answers 503 for 2.5 s, then refuses connections for 2.5 s, then comes back. The queue (32)
// overflows meanwhile: routine events are dropped and counted, every emergency and clear arrives,
// in order, and metaood_sink_events_total agrees with the sink's own counts.
func TestWebhookReceiverDownFiveSecondsLosesNoEmergency(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 6 s")
	}
	recv := newReceiver(t)
	defer recv.stop()
	m := NewMetrics()
	wh := NewWebhookSink("http://"+recv.addr+"/hook", 32, time.Second, nil, WithCounters(m.SinkCounters("webhook")))

	ids := event.NewIDs([]string{"cam"})
	tracker, err := event.NewTracker(event.TrackerConfig{Corridor: event.DefaultCorridor(), MinArea: 1, K: 1, N: 1})
	if err != nil {
		t.Fatal(err)
	}
	tracker.SetIDs(ids)
	inCorridor := []event.Anomaly{{ID: 1, BBox: [4]int{480, 400, 40, 25}, Centroid: [2]float64{500, 412}, Area: 1000, TrackID: 1}}
	emergencyFrames := func(f int) bool { return (f >= 40 && f < 100) || (f >= 200 && f < 280) || (f >= 330 && f < 350) }

	const frames = 360 // 6 s at 60 a second
	recv.set503(true)
	start := time.Now()
	var critical []string // ids of the emergencies and clears, in order
	send := func(e event.Event) {
		ids.Stamp(e.Head())
		line, err := event.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if event.Critical(e.Head().Type) {
			critical = append(critical, e.Head().ID)
		}
		if err := wh.Event(e, line); err != nil {
			t.Fatal(err)
		}
	}
	phase := 0
	for f := range frames {
		switch el := time.Since(start); {
		case phase == 0 && el >= 2500*time.Millisecond:
			recv.stop() // refused from 2.5 s
			phase++
		case phase == 1 && el >= 5*time.Second:
			recv.set503(false)
			recv.start() // back at 5 s
			phase++
		}
		now := time.Now()
		hdr := event.Header{Source: "cam", Frame: uint64(f), CaptureTS: event.At(now), EmitTS: event.At(now)}
		var anoms []event.Anomaly
		if emergencyFrames(f) {
			anoms = slices.Clone(inCorridor)
		}
		a := hdr
		a.Type = event.TypeAnomalies
		send(&event.Anomalies{Header: a, Anomalies: anoms})
		if e := tracker.Update(hdr, anoms, tracker.Mark(anoms, 1000, 500)); e != nil {
			send(e)
		}
		if f%60 == 0 {
			send(&event.Stats{Header: event.Header{Type: event.TypeStats, Source: "all", Frame: uint64(f), CaptureTS: event.At(now), EmitTS: event.At(now)},
				Stages: map[string]event.StageStats{}, Provider: "cpu"})
		}
		time.Sleep(time.Until(start.Add(time.Duration(f+1) * time.Second / 60)))
	}
	if len(critical) != 6 {
		t.Fatalf("the drive raised %d emergencies and clears, want 3 of each", len(critical))
	}
	closeErr := wh.Close()

	var gotCritical []string
	var clears []event.Clear
	for _, l := range recv.got() {
		var h event.Header
		if err := json.Unmarshal([]byte(l), &h); err != nil {
			t.Fatalf("receiver got %q: %v", l, err)
		}
		if event.Critical(h.Type) {
			gotCritical = append(gotCritical, h.ID)
		}
		if h.Type == event.TypeClear {
			var c event.Clear
			json.Unmarshal([]byte(l), &c)
			clears = append(clears, c)
		}
	}
	if !slices.Equal(gotCritical, critical) {
		t.Errorf("emergencies and clears received %q,\nwant all of %q in order", gotCritical, critical)
	}
	for i, c := range clears {
		if c.EmergencyID != critical[2*i] {
			t.Errorf("clear %d names emergency %q, want %q", i, c.EmergencyID, critical[2*i])
		}
	}
	sent, failed, dropped := wh.Sent.Load(), wh.Failed.Load(), wh.Dropped.Load()
	t.Logf("webhook: %d sent, %d failed, %d dropped of %d received by the receiver", sent, failed, dropped, len(recv.got()))
	if dropped == 0 || failed != 0 || sent != uint64(len(recv.got())) {
		t.Errorf("sent %d (receiver has %d), failed %d, dropped %d: want drops of routine events only", sent, len(recv.got()), failed, dropped)
	}
	for result, want := range map[string]uint64{ResultSent: sent, ResultFailed: failed, ResultDropped: dropped} {
		if got := testutil.ToFloat64(m.sinkEvents.WithLabelValues("webhook", result)); got != float64(want) {
			t.Errorf("metaood_sink_events_total{sink=webhook,result=%s} = %g, want %d", result, got, want)
		}
	}
	if !errors.Is(closeErr, ErrSink) || !strings.Contains(closeErr.Error(), "dropped by a full queue") {
		t.Errorf("Close: %v, want the drops reported", closeErr)
	}
}
