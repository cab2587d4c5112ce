package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/metaood/metaood/fleet"
	"github.com/metaood/metaood/internal/natstest"
	"github.com/metaood/metaood/internal/syncbuf"
)

// TestFleetWorkerKilled: a worker process killed with SIGKILL mid-job loses nothing. The job is
// redelivered after its ack wait and done by another worker process; its outputs are stored
// once (the files of one run, the result file names the second delivery), and the events the
// dead worker had published are not on the stream twice: the redo's copies carry the same
// Nats-Msg-Id and the stream drops them.
func TestFleetWorkerKilled(t *testing.T) {
	srv := natstest.Start(t)
	submit := metaoodChild(t, "submit", "--nats", srv.URL, "--ack-wait", "2s", "--max-deliver", "3",
		"--set", "input_size=256x128", "--set", "force=true", "synth:seed=7,frames=600,size=256x128")
	out, err := submit.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "queued   synth-") {
		t.Fatalf("submit: %v\n%s", err, out)
	}
	id := strings.Fields(string(out))[1]

	nc, err := fleet.Connect(srv.URL, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := fleet.NewJetStream(nc)
	f, err := fleet.Ensure(t.Context(), js, fleet.DefaultSetup())
	if err != nil {
		t.Fatal(err)
	}
	if f.Setup.AckWait != 2*time.Second || f.Setup.MaxDeliver != 3 {
		t.Fatalf("consumer made with ack wait %v and max deliver %d, want the submit's 2s and 3", f.Setup.AckWait, f.Setup.MaxDeliver)
	}

	a := startChild(t, "worker", "--nats", srv.URL, "--id", "wA", "--log-level", "warn")
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if s, _, _ := fleet.GetStatus(t.Context(), f.Status, id); s.State == fleet.Running && s.Frames >= 60 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker A did not get going:\n%s", a.log.String())
		}
	}
	a.cmd.Process.Kill()
	a.cmd.Wait()
	before := eventCount(t, js, id)
	if before == 0 {
		t.Fatal("worker A published no event before it died: the test would not check the deduplication")
	}
	if s, _, _ := fleet.GetStatus(t.Context(), f.Status, id); s.State != fleet.Running || s.Worker != "wA" {
		t.Errorf("status right after the kill: %+v; want still running on wA (until the ack wait ends)", s)
	}

	b := startChild(t, "worker", "--nats", srv.URL, "--id", "wB", "--max-jobs", "1", "--log-level", "warn")
	done := make(chan error, 1)
	go func() { done <- b.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker B: %v\n%s", err, b.log.String())
		}
	case <-time.After(120 * time.Second):
		b.cmd.Process.Kill()
		t.Fatalf("worker B did not finish the job within 120 s:\n%s", b.log.String())
	}

	s, _, _ := fleet.GetStatus(t.Context(), f.Status, id)
	if s.State != fleet.Done || s.Deliveries != 2 || s.Worker != "wB" || s.Frames != 600 {
		t.Errorf("status %+v; want done by wB on the second delivery with 600 frames", s)
	}
	obs, err := js.ObjectStore(t.Context(), fleet.DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	infos, _ := obs.List(t.Context())
	var names []string
	for _, i := range infos {
		names = append(names, i.Name)
	}
	var res fleet.Result
	b1, _ := obs.GetBytes(t.Context(), id+"/job.json")
	if err := json.Unmarshal(b1, &res); err != nil || res.Delivery != 2 || res.Worker != "wB" || res.Frames != 600 {
		t.Errorf("result file %s (%v); want delivery 2 by wB, 600 frames", b1, err)
	}
	want := []string{id + "/job.json"} // the files the second try wrote, and nothing else
	for _, f := range res.Files {
		want = append(want, id+"/"+f)
	}
	slices.Sort(want)
	if slices.Sort(names); !slices.Equal(names, want) || !slices.Contains(names, id+"/events.jsonl") ||
		!slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, id+"/annotated") }) {
		t.Errorf("stored objects %v, want exactly %v (with the events and the video)", names, want)
	}
	events, _ := obs.GetBytes(t.Context(), id+"/events.jsonl")
	var wantEvents int
	for _, l := range strings.Split(strings.TrimSpace(string(events)), "\n") {
		if !strings.Contains(l, `"type":"stats"`) {
			wantEvents++
		}
	}
	n := eventCount(t, js, id)
	t.Logf("events on the stream: %d when worker A was killed, %d after worker B redid the job; its events file has %d (stats aside)", before, n, wantEvents)
	if n != uint64(wantEvents) || n < before {
		t.Errorf("events stream holds %d events for the job (%d before the kill); the stored events file has %d: want the same, no duplicate",
			n, before, wantEvents)
	}

	view, err := metaoodChild(t, "jobs", "--nats", srv.URL).Output()
	if err != nil || !strings.Contains(string(view), id) || !strings.Contains(string(view), "done     2/3    wB") {
		t.Errorf("metaood jobs (%v):\n%s", err, view)
	}
	got := t.TempDir()
	if out, err := metaoodChild(t, "jobs", "--nats", srv.URL, "--get", got, id).CombinedOutput(); err != nil {
		t.Errorf("metaood jobs --get: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(filepath.Join(got, id, "events.jsonl")); !bytes.Equal(b, events) {
		t.Errorf("metaood jobs --get: events.jsonl %d bytes, stored %d", len(b), len(events))
	}
}

type child struct {
	cmd *exec.Cmd
	log *syncbuf.Buffer
}

// startChild starts `metaood args…` as a child process, killed at the end of the test.
func startChild(t *testing.T, args ...string) child {
	t.Helper()
	c := child{cmd: metaoodChild(t, args...), log: new(syncbuf.Buffer)}
	c.cmd.Stdout, c.cmd.Stderr = c.log, c.log
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
	})
	return c
}

// eventCount is how many events the events stream holds for job (or vehicle) key.
func eventCount(t *testing.T, js jetstream.JetStream, key string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, fleet.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(fleet.EventsPrefix+"."+key+".>"))
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, c := range info.State.Subjects {
		n += c
	}
	return n
}

// TestRunNATSVehicles: two `metaood run --nats URL --vehicle ID` rigs publish every event to the
// one events stream, each under its vehicle, so one consumer sees the fleet; a vehicle id that
// cannot name a subject is refused before the run.
func TestRunNATSVehicles(t *testing.T) {
	srv := natstest.Start(t)
	dirs := map[string]string{"car-1": t.TempDir(), "car-2": t.TempDir()}
	for v, dir := range dirs {
		out, err := metaoodChild(t, "run", "--nats", srv.URL, "--vehicle", v, "--source", "synth:seed=9,frames=60,size=256x128",
			"--input-size", "256x128", "--force", "--no-video", "--stdout=false", "--out", dir, "--log-level", "error").CombinedOutput()
		if err != nil {
			t.Fatalf("run %s: %v\n%s", v, err, out)
		}
	}
	nc, err := fleet.Connect(srv.URL, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := fleet.NewJetStream(nc)
	for v, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "events.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Count(string(b), "\n")
		if n := eventCount(t, js, v); n != uint64(want) || want == 0 {
			t.Errorf("%s: %d events on the stream, %d in its events file; want the same", v, n, want)
		}
	}
	out, err := metaoodChild(t, "run", "--nats", srv.URL, "--vehicle", "car.3").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "vehicle (--vehicle)") {
		t.Errorf("vehicle car.3 accepted (%v):\n%s", err, out)
	}
}
