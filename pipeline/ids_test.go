package pipeline

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
)

// idRun runs a replayed source "cam" (an anomaly on frames 3..8: one emergency and its clear)
// beside a paced source "paced" and returns what the sink saw.
func idRun(t *testing.T) *recordSink {
	t.Helper()
	anoms := map[uint64]bool{}
	for i := uint64(3); i <= 8; i++ {
		anoms[i] = true
	}
	tr, err := event.NewTracker(event.DefaultTrackerConfig())
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordSink{}
	_, err = runWith(t, context.Background(), Config{
		Sources:  []frame.Source{&fakeSource{id: "cam", n: 15, w: 200, h: 100}, &fakeSource{id: "paced", n: 3, w: 200, h: 100, paced: true}},
		Analyzer: fakeAnalyzer{anoms: anoms}, Classifier: fakeClf{}, Tracker: tr, Sinks: []Sink{rec},
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestEventIDsAndTracks: every event carries v=1 and an id unique in the run; a second run of
// the same replay gives its events the same ids, a paced source's differ; the kept anomaly keeps
// one track id over its frames, and the clear names the emergency's id and track.
func TestEventIDsAndTracks(t *testing.T) {
	first, second := idRun(t), idRun(t)
	key := func(e event.Event) string { h := e.Head(); return fmt.Sprintf("%s/%s/%d", h.Source, h.Type, h.Frame) }
	secondIDs := map[string][]string{}
	for _, e := range second.events {
		secondIDs[key(e)] = append(secondIDs[key(e)], e.Head().ID)
	}
	seen := map[string]bool{}
	var emergency *event.Emergency
	var clear *event.Clear
	tracks := map[int]int{}
	for _, e := range first.events {
		h := e.Head()
		if h.V != event.SchemaVersion || h.ID == "" || seen[h.ID] {
			t.Errorf("%s: v=%d id=%q (seen before: %v)", key(e), h.V, h.ID, seen[h.ID])
		}
		seen[h.ID] = true
		again := slices.Contains(secondIDs[key(e)], h.ID)
		if want := h.Source == "cam"; again != want {
			t.Errorf("%s: id %s in the second run too = %v, want %v (replays keep ids, paced sources do not)", key(e), h.ID, again, want)
		}
		switch e := e.(type) {
		case *event.Emergency:
			emergency = e
		case *event.Clear:
			clear = e
		case *event.Anomalies:
			for _, a := range e.Anomalies {
				tracks[a.TrackID]++
			}
		}
	}
	if emergency == nil || clear == nil {
		t.Fatalf("emergency %v, clear %v: want one of each", emergency, clear)
	}
	if len(tracks) != 1 || tracks[1] != 6 {
		t.Errorf("track ids of the kept anomaly over its 6 frames: %v, want track 1 six times", tracks)
	}
	if emergency.Anomaly.TrackID != 1 || clear.EmergencyID != emergency.ID || clear.TrackID != 1 {
		t.Errorf("clear names emergency %q track %d; the emergency is %q track %d", clear.EmergencyID, clear.TrackID, emergency.ID, emergency.Anomaly.TrackID)
	}
}
