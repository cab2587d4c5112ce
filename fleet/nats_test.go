package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/internal/natstest"
	"github.com/metaood/metaood/internal/syncbuf"
)

// tinyJob is a few seconds of work: a short synthetic drive at 256x128 through the tiny model.
var tinyJob = map[string]any{"input_size": "256x128", "force": true}

func tinySource(seed, frames int) string {
	return "synth:seed=" + itoa(seed) + ",frames=" + itoa(frames) + ",size=256x128"
}

func itoa(n int) string { return strconv.Itoa(n) }

func testEvent(frame uint64) event.Event {
	return &event.Anomalies{Header: event.Header{Type: event.TypeAnomalies, Source: "cam0", Frame: frame}}
}

// testFleet connects to srv and sets the fleet up with s.
func testFleet(t *testing.T, srv *natstest.Server, s Setup) (*nats.Conn, *Fleet) {
	t.Helper()
	nc, err := Connect(srv.URL, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := NewJetStream(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	f, err := Ensure(ctx, js, s)
	if err != nil {
		t.Fatal(err)
	}
	return nc, f
}

func testSetup() Setup {
	s := DefaultSetup()
	s.AckWait, s.MaxDeliver = 3*time.Second, 3
	return s
}

// startWorker runs a worker in this process until the test ends or it stops by itself.
func startWorker(t *testing.T, nc *nats.Conn, f *Fleet, o WorkerOptions) (*Worker, <-chan struct{}) {
	t.Helper()
	logs := new(syncbuf.Buffer)
	o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if o.RetryDelay == 0 {
		o.RetryDelay = 200 * time.Millisecond
	}
	w := NewWorker(f, nc, o)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("worker %s log:\n%s", w.ID(), logs.String())
		}
	})
	return w, done
}

// waitStates waits until every job is in a terminal state and returns their statuses.
func waitStates(t *testing.T, f *Fleet, ids []string, within time.Duration) map[string]Status {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		out := map[string]Status{}
		for _, id := range ids {
			if s, ok, _ := GetStatus(t.Context(), f.Status, id); ok && s.Terminal() {
				out[id] = s
			}
		}
		if len(out) == len(ids) {
			return out
		}
		if time.Now().After(deadline) {
			all, _ := ListStatus(t.Context(), f.Status)
			t.Fatalf("jobs not finished within %v: %+v", within, all)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// streamEvents reads every event stored for key: subject → data, and the Nats-Msg-Ids.
func streamEvents(t *testing.T, f *Fleet, key string) (lines []string, ids []string) {
	t.Helper()
	ctx := t.Context()
	st, err := f.JS.Stream(ctx, EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{EventsPrefix + "." + key + ".>"}})
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := c.FetchNoWait(500)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range b.Messages() {
			n++
			lines = append(lines, string(m.Data()))
			ids = append(ids, m.Headers().Get(jetstream.MsgIDHeader))
		}
		if n == 0 {
			// FetchNoWait may return an empty batch before the end; check the count.
			info, _ := st.Info(ctx, jetstream.WithSubjectFilter(EventsPrefix+"."+key+".>"))
			if info == nil || uint64(len(lines)) >= subjectCount(info) {
				return lines, ids
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func subjectCount(info *jetstream.StreamInfo) uint64 {
	var n uint64
	for _, c := range info.State.Subjects {
		n += c
	}
	return n
}

// storedObjects lists the bucket's objects under id/.
func storedObjects(t *testing.T, f *Fleet, bucket, id string) map[string][]byte {
	t.Helper()
	obs, err := f.JS.ObjectStore(t.Context(), bucket)
	if err != nil {
		t.Fatal(err)
	}
	infos, err := obs.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, i := range infos {
		if strings.HasPrefix(i.Name, id+"/") {
			b, err := obs.GetBytes(t.Context(), i.Name)
			if err != nil {
				t.Fatal(err)
			}
			if _, dup := out[i.Name]; dup {
				t.Errorf("object %s listed twice", i.Name)
			}
			out[strings.TrimPrefix(i.Name, id+"/")] = b
		}
	}
	return out
}

// nonStats returns the lines of an events file that are not stats events.
func nonStats(events []byte) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(string(events), "\n"), "\n") {
		if l != "" && !strings.Contains(l, `"type":"stats"`) {
			out = append(out, l)
		}
	}
	return out
}

// TestSubmitRunDone: two jobs (one to the object store, one to a shared folder) are run by one
// worker: done, with every output stored and every event (stats aside) on the events stream
// once, with its id. Redoing a job replaces its outputs and adds no event: the stream drops the
// redo's events as duplicates.
func TestSubmitRunDone(t *testing.T) {
	srv := natstest.Start(t)
	nc, f := testFleet(t, srv, testSetup())
	shared := t.TempDir()
	a, _ := NewJob(tinySource(3, 40), "", "", tinyJob, Output{Bucket: DefaultBucket})
	b, _ := NewJob(tinySource(4, 30), "", "", map[string]any{"input_size": "256x128", "force": true, "video": ""}, Output{Dir: shared})
	res, err := Submit(t.Context(), f, []Job{a, b}, false)
	if err != nil || len(res) != 2 || !res[0].Queued || !res[1].Queued {
		t.Fatalf("submit: %+v, %v", res, err)
	}
	again, err := Submit(t.Context(), f, []Job{a}, false)
	if err != nil || again[0].Queued || !strings.Contains(again[0].Why, "already queued") {
		t.Errorf("second submit of the same job: %+v, %v; want it skipped", again, err)
	}
	w, _ := startWorker(t, nc, f, WorkerOptions{ID: "w1"})
	st := waitStates(t, f, []string{a.ID, b.ID}, 90*time.Second)
	for _, s := range st {
		if s.State != Done || s.Deliveries != 1 || s.Worker != w.ID() || s.Frames == 0 || s.TotalFrames != int(s.Frames) {
			t.Errorf("status %+v; want done on the first delivery by %s with all frames", s, w.ID())
		}
	}
	if st[a.ID].Frames != 40 || st[b.ID].Frames != 30 {
		t.Errorf("frames %d and %d, want 40 and 30", st[a.ID].Frames, st[b.ID].Frames)
	}

	objs := storedObjects(t, f, DefaultBucket, a.ID)
	for _, name := range []string{"events.jsonl", "summary.csv", ResultFile} {
		if len(objs[name]) == 0 {
			t.Errorf("object %s/%s missing or empty; have %v", a.ID, name, keys(objs))
		}
	}
	if !slices.ContainsFunc(keys(objs), func(n string) bool { return strings.HasPrefix(n, "annotated") }) {
		t.Errorf("no annotated video among %v", keys(objs))
	}
	events := nonStats(objs["events.jsonl"])
	lines, ids := streamEvents(t, f, a.ID)
	if len(lines) == 0 || !slices.Equal(lines, events) {
		t.Errorf("events stream holds %d events for %s, the events file %d (want the same lines)", len(lines), a.ID, len(events))
	}
	if len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(ids) {
		t.Errorf("event ids not unique: %v", ids)
	}
	for _, name := range []string{"events.jsonl", "summary.csv", ResultFile} {
		if _, err := os.Stat(filepath.Join(shared, b.ID, name)); err != nil {
			t.Errorf("shared folder output: %v", err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(shared, ".*")); len(left) > 0 {
		t.Errorf("try folders left in the shared folder: %v", left)
	}
	bLines, _ := streamEvents(t, f, b.ID)
	bFile, _ := os.ReadFile(filepath.Join(shared, b.ID, "events.jsonl"))
	if !slices.Equal(bLines, nonStats(bFile)) {
		t.Errorf("events stream for %s: %d events, file %d", b.ID, len(bLines), len(nonStats(bFile)))
	}

	// Redo job a: done again, the same objects, no new event on the stream.
	redo, err := Submit(t.Context(), f, []Job{a}, true)
	if err != nil || !redo[0].Queued {
		t.Fatalf("redo: %+v %v", redo, err)
	}
	time.Sleep(200 * time.Millisecond)
	waitStates(t, f, []string{a.ID}, 60*time.Second)
	objs2 := storedObjects(t, f, DefaultBucket, a.ID)
	if !slices.Equal(keys(objs2), keys(objs)) || !slices.Equal(untimed(t, nonStats(objs2["events.jsonl"])), untimed(t, events)) {
		t.Errorf("redo objects %v, first %v; want the same files with the same events", keys(objs2), keys(objs))
	}
	if lines2, _ := streamEvents(t, f, a.ID); len(lines2) != len(lines) {
		t.Errorf("after the redo the stream holds %d events for %s, before %d: the redo's events were not deduplicated", len(lines2), a.ID, len(lines))
	}
}

// untimed drops the timestamps of event lines (a redo's differ).
func untimed(t *testing.T, lines []string) []string {
	t.Helper()
	out := make([]string, len(lines))
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("event line %q: %v", l, err)
		}
		delete(m, "capture_ts")
		delete(m, "emit_ts")
		b, _ := json.Marshal(m)
		out[i] = string(b)
	}
	return out
}

func keys[V any](m map[string]V) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

// TestPoisonJob: a corrupt video fails after MaxDeliver deliveries with its reason, a missing
// file fails at its first delivery, and neither keeps the next job from running.
func TestPoisonJob(t *testing.T) {
	srv := natstest.Start(t)
	nc, f := testFleet(t, srv, testSetup())
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.mp4")
	// An MP4 box header, then noise: it sniffs as a video but nothing decodes.
	junk := append([]byte{0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm'}, bytes.Repeat([]byte{0x5a, 0x13, 0xc7}, 4000)...)
	if err := os.WriteFile(corrupt, junk, 0o644); err != nil {
		t.Fatal(err)
	}
	poison, _ := NewJob(corrupt, "", "", tinyJob, Output{Bucket: DefaultBucket})
	missing, _ := NewJob(filepath.Join(dir, "gone.mp4"), "", "", tinyJob, Output{Bucket: DefaultBucket})
	good, _ := NewJob(tinySource(5, 20), "", "", tinyJob, Output{Bucket: DefaultBucket})
	if _, err := Submit(t.Context(), f, []Job{poison, missing, good}, false); err != nil {
		t.Fatal(err)
	}
	startWorker(t, nc, f, WorkerOptions{ID: "w1"})
	st := waitStates(t, f, []string{poison.ID, missing.ID, good.ID}, 90*time.Second)
	if s := st[poison.ID]; s.State != Failed || s.Deliveries != 3 || !strings.Contains(s.Reason, "corrupt.mp4: OpenCV cannot open it") {
		t.Errorf("poison job: %+v; want failed after 3 deliveries, naming the file and why", s)
	}
	if s := st[missing.ID]; s.State != Failed || s.Deliveries != 1 || !strings.Contains(s.Reason, "cannot be read") {
		t.Errorf("missing file: %+v; want failed at the first delivery", s)
	}
	if s := st[good.ID]; s.State != Done || s.Frames != 20 {
		t.Errorf("the job after the poison one: %+v; want done", s)
	}
	// Terminated jobs leave the work queue.
	info, err := f.Jobs.Info(t.Context())
	if err != nil || info.State.Msgs != 0 {
		t.Errorf("jobs stream holds %d messages after every job ended (%v); want 0", info.State.Msgs, err)
	}
}

// TestServerRestart: nats-server restarted mid-run (same port, same store): the worker
// reconnects, every job is done, and every event is on the stream once.
func TestServerRestart(t *testing.T) {
	srv := natstest.Start(t)
	nc, f := testFleet(t, srv, testSetup())
	var jobs []Job
	var ids []string
	for i := range 3 {
		j, _ := NewJob(tinySource(10+i, 150), "", "", map[string]any{"input_size": "256x128", "force": true, "video": ""}, Output{Bucket: DefaultBucket})
		jobs, ids = append(jobs, j), append(ids, j.ID)
	}
	if _, err := Submit(t.Context(), f, jobs, false); err != nil {
		t.Fatal(err)
	}
	startWorker(t, nc, f, WorkerOptions{ID: "w1", Heartbeat: 50 * time.Millisecond})
	waitRunning(t, f, ids[0], 5, 60*time.Second)
	srv.Restart()
	running, _, _ := GetStatus(t.Context(), f.Status, ids[0])
	st := waitStates(t, f, ids, 240*time.Second) // -race on a busy machine: a few fps
	t.Logf("server restarted while job 1 of 3 was %s at frame %d of 150", running.State, running.Frames)
	for _, j := range jobs {
		s := st[j.ID]
		if s.State != Done || s.Frames != 150 {
			t.Errorf("%s: %+v; want done with 150 frames", j.ID, s)
			continue
		}
		objs := storedObjects(t, f, DefaultBucket, j.ID)
		lines, _ := streamEvents(t, f, j.ID)
		if want := nonStats(objs["events.jsonl"]); len(want) == 0 || len(lines) != len(want) {
			t.Errorf("%s: %d events on the stream, %d in its events file; want the same, more than 0", j.ID, len(lines), len(want))
		}
	}
}

// waitRunning waits until job id is running with at least frames frames done.
func waitRunning(t *testing.T, f *Fleet, id string, frames uint64, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if s, ok, _ := GetStatus(t.Context(), f.Status, id); ok && s.State == Running && s.Frames >= frames {
			return
		}
	}
	s, _, _ := GetStatus(t.Context(), f.Status, id)
	t.Fatalf("job %s not running with %d frames within %v: %+v", id, frames, within, s)
}

// TestPublisherLiveDrops: a live publisher whose server is gone never blocks the caller; what
// does not fit its queue is dropped, counted, and reported by Close.
func TestPublisherLiveDrops(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := natstest.Start(t)
	nc, f := testFleet(t, srv, testSetup())
	p, err := NewPublisher(f.JS, PublisherOptions{Key: "car7", Live: true, CloseWait: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 5000 {
			p.Event(testEvent(uint64(i)), []byte(`{"type":"anomalies"}`))
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("live publisher blocked the caller with the server down")
	}
	err = p.Close()
	c := p.Counts()
	if !errors.Is(err, ErrEvents) || c.Dropped == 0 || c.Dropped+c.Failed+c.Published != 5000 {
		t.Errorf("close: %v, counts %+v; want drops counted and reported, every event accounted for", err, c)
	}
	nc.Close()
}

// TestStaleTryRefused: a try of an older delivery or an older submission cannot change the status
// a newer one owns (a worker that lost its lease but still runs).
func TestStaleTryRefused(t *testing.T) {
	srv := natstest.Start(t)
	nc, f := testFleet(t, srv, testSetup())
	w := NewWorker(f, nc, WorkerOptions{ID: "w"})
	j, _ := NewJob(tinySource(1, 5), "", "", nil, Output{Bucket: DefaultBucket})
	set := func(seq, delivery uint64, state string) bool {
		return w.setStatus(t.Context(), j, tryOf{seq: seq, delivery: delivery}, func(s *Status) { s.State = state })
	}
	for _, tc := range []struct {
		seq, delivery uint64
		state         string
		want          bool
	}{
		{5, 2, Running, true},
		{5, 1, Failed, false}, // the first delivery, after the second took over
		{4, 3, Done, false},   // an older submission
		{5, 2, Done, true},
		{6, 1, Running, true}, // a new submission
	} {
		if got := set(tc.seq, tc.delivery, tc.state); got != tc.want {
			t.Errorf("seq %d delivery %d → %s: accepted %v, want %v", tc.seq, tc.delivery, tc.state, got, tc.want)
		}
	}
	if s, _, _ := GetStatus(t.Context(), f.Status, j.ID); s.State != Running || s.Seq != 6 || s.Deliveries != 1 {
		t.Errorf("status %+v; want running, seq 6, delivery 1", s)
	}
}

// TestLastDeliveryLost: when the worker of a job's last delivery dies too (here: the test takes
// the delivery and never answers), JetStream's max-deliveries advisory makes a live worker mark
// the job failed and take it off the queue.
func TestLastDeliveryLost(t *testing.T) {
	srv := natstest.Start(t)
	s := testSetup()
	s.AckWait, s.MaxDeliver = time.Second, 1
	nc, f := testFleet(t, srv, s)
	j, _ := NewJob(tinySource(2, 10), "", "", tinyJob, Output{Bucket: DefaultBucket})
	if _, err := Submit(t.Context(), f, []Job{j}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Consumer.Next(jetstream.FetchMaxWait(5 * time.Second)); err != nil { // the "dead" worker
		t.Fatal(err)
	}
	startWorker(t, nc, f, WorkerOptions{ID: "alive"})
	st := waitStates(t, f, []string{j.ID}, 30*time.Second)[j.ID]
	if st.State != Failed || !strings.Contains(st.Reason, "delivered 1 times without finishing") {
		t.Errorf("status %+v; want failed, saying the deliveries ran out", st)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		info, err := f.Jobs.Info(t.Context())
		if err == nil && info.State.Msgs == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job is still on the queue (%v)", err)
		}
	}
}
