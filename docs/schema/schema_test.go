// Package schema holds the JSON Schemas of docs/CONTRACTS.md; its test checks them against
// what metaood writes.
package schema

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/metaood/metaood/calib"
	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/metaclf"
	"github.com/metaood/metaood/postproc"
)

func compile(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile(file)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return s
}

func validate(s *jsonschema.Schema, doc []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// events returns one event of every type, as the pipeline fills them in.
func events() []event.Event {
	capt := time.Date(2026, 12, 3, 10, 18, 0, 120000000, time.UTC)
	emit := capt.Add(37 * time.Millisecond)
	h := func(typ string) event.Header {
		return event.Header{Type: typ, Source: "cam:0", Frame: 42, CaptureTS: event.At(capt), EmitTS: event.At(emit)}
	}
	a := event.Anomaly{ID: 1, BBox: [4]int{412, 300, 38, 24}, Centroid: [2]float64{430.5, 311.25}, Area: 640, PFP: 0.125, InCorridor: true, TrackID: 3}
	emergency := &event.Emergency{Header: h(event.TypeEmergency), Anomaly: a, SinceFrame: 40}
	ids := event.NewIDs([]string{"cam:0"})
	ids.Stamp(&emergency.Header)
	evs := []event.Event{
		&event.Anomalies{Header: h(event.TypeAnomalies), Anomalies: []event.Anomaly{a, {ID: 2, BBox: [4]int{0, 0, 2, 2}, Area: 4, TrackID: 4}}, Rejected: 3},
		&event.Anomalies{Header: h(event.TypeAnomalies), Anomalies: []event.Anomaly{}}, // --every-frame style: none kept
		emergency,
		&event.Emergency{Header: h(event.TypeEmergency), Anomaly: a, SinceFrame: 40, Clip: "clips/cam_0-000042.webm", Snapshot: "snapshots/cam_0-000042.jpg"},
		&event.Clip{Header: h(event.TypeClip), Clip: "clips/cam_0-000042.webm", EmergencyFrame: 42, EmergencyID: emergency.ID, DurationMS: 10033.333, Frames: 301},
		&event.Clear{Header: h(event.TypeClear), SinceFrame: 40, DurationMS: 200.5, EmergencyID: emergency.ID, TrackID: a.TrackID},
		&event.SourceState{Header: h(event.TypeSource), State: event.StateOpened},
		&event.SourceState{Header: h(event.TypeSource), State: event.StateLost, Detail: "read failed"},
		&event.Stats{Header: event.Header{Type: event.TypeStats, Source: "all", Frame: 900, CaptureTS: event.At(capt), EmitTS: event.At(capt)},
			Stages: map[string]event.StageStats{"infer": {P50MS: 31.2, P99MS: 40.9}, "total": {P50MS: 60, P99MS: 81.5}},
			FPS:    29.97, Frames: 900, Dropped: 2, Provider: "cpu"},
	}
	for _, e := range evs {
		ids.Stamp(e.Head()) // as the pipeline does: v and id
	}
	return evs
}

// TestEventsMatchSchema: every event type, encoded by event.Marshal, is valid against
// event.schema.json. The schema is strict, so a renamed, added or dropped field fails here.
func TestEventsMatchSchema(t *testing.T) {
	s := compile(t, "event.schema.json")
	for _, e := range events() {
		line, err := event.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(s, line); err != nil {
			t.Errorf("%s event %s does not match docs/schema/event.schema.json (update it and docs/CONTRACTS.md with the change): %v",
				e.Head().Type, line, err)
		}
	}
}

// TestEventSchemaIsStrict: the schema rejects a renamed field, an unknown field, a missing field
// and a timestamp of another form, so TestEventsMatchSchema can catch those changes.
func TestEventSchemaIsStrict(t *testing.T) {
	s := compile(t, "event.schema.json")
	line, err := event.Marshal(events()[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, from, to string }{
		{"renamed anomaly field", `"p_fp":`, `"pfp":`},
		{"renamed header field", `"capture_ts":`, `"captured":`},
		{"unknown field", `"rejected":3`, `"rejected":3,"extra":1`},
		{"missing field", `,"rejected":3`, ``},
		{"timestamp without nanoseconds", `10:18:00.120000000Z`, `10:18:00.12Z`},
		{"unknown type", `"type":"anomalies"`, `"type":"anomaly"`},
		{"other schema version", `"v":1`, `"v":2`},
		{"missing id", `"id":"`, `"idx":"`},
		{"anomaly without track", `,"track_id":3`, ``},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := strings.Replace(string(line), c.from, c.to, 1)
			if bad == string(line) {
				t.Fatalf("%q not found in %s", c.from, line)
			}
			if validate(s, []byte(bad)) == nil {
				t.Errorf("the schema accepts %s", bad)
			}
		})
	}
}

// TestClassifierFilesMatchSchema: files written by metaclf's writer (a freshly trained LR with
// its provenance, the built-in MLP re-encoded) and the files shipped in the repository are valid
// against classifier.schema.json, and the schema refuses a renamed field.
func TestClassifierFilesMatchSchema(t *testing.T) {
	s := compile(t, "classifier.schema.json")
	docs := map[string][]byte{}

	// A logistic regression trained by calib on random 75-metric rows, as 'metaood calib train' does.
	names := postproc.MetricNames(19)
	rng := rand.New(rand.NewPCG(1, 2))
	d := &calib.Dataset{Names: names}
	for i := range 200 {
		for range names {
			d.X = append(d.X, rng.NormFloat64())
		}
		d.Y = append(d.Y, float64(i%3%2))
	}
	m, err := calib.Train(d, calib.TrainOptions{Model: calib.ModelLR, Source: "test.csv",
		ModelSHA256: strings.Repeat("ab", 32), MapSize: []int{1024, 512}})
	if err != nil {
		t.Fatal(err)
	}
	if docs["trained lr"], err = m.Marshal(); err != nil {
		t.Fatal(err)
	}
	if docs["built-in mlp, re-encoded"], err = metaclf.Default().Marshal(); err != nil {
		t.Fatal(err)
	}
	docs["metaclf/default.json"] = metaclf.DefaultJSON()
	if docs["models/espnetv2-ood.metaclf.json"], err = os.ReadFile("../../models/espnetv2-ood.metaclf.json"); err != nil {
		t.Fatal(err)
	}
	for name, doc := range docs {
		if err := validate(s, doc); err != nil {
			t.Errorf("%s does not match docs/schema/classifier.schema.json (update it and docs/CONTRACTS.md with the change): %v", name, err)
		}
	}

	var f map[string]any
	if err := json.Unmarshal(docs["trained lr"], &f); err != nil {
		t.Fatal(err)
	}
	f["means"] = f["mean"]
	delete(f, "mean")
	bad, _ := json.Marshal(f)
	if validate(s, bad) == nil {
		t.Error("the schema accepts a file with \"mean\" renamed to \"means\"")
	}
}
