package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
)

// TestSinksSeeFrameBeforeItsEvents: every sink gets a frame before any sink gets that frame's
// events, so a sink may fill in an event of the frame (render puts the clip and snapshot paths
// into the emergency) or add one, and every sink, also one earlier in the list, sees the result.
func TestSinksSeeFrameBeforeItsEvents(t *testing.T) {
	anoms := map[uint64]bool{}
	for i := uint64(3); i <= 8; i++ {
		anoms[i] = true
	}
	tr, err := event.NewTracker(event.DefaultTrackerConfig())
	if err != nil {
		t.Fatal(err)
	}
	first := &recordSink{}
	second := &recordSink{onFrame: func(r *Result) {
		for _, e := range r.Events {
			if em, ok := e.(*event.Emergency); ok {
				em.Snapshot = "snapshots/cam-000005.jpg"
				h := em.Header
				h.Type = event.TypeClip
				r.Events = append(r.Events, &event.Clip{Header: h, Clip: "clips/cam-000005.webm", EmergencyFrame: em.Frame})
			}
		}
	}}
	if _, err := runWith(t, context.Background(), Config{
		Sources: []frame.Source{&fakeSource{id: "cam", n: 15, w: 200, h: 100}}, Analyzer: fakeAnalyzer{anoms: anoms},
		Classifier: fakeClf{}, Tracker: tr, Sinks: []Sink{first, second},
	}); err != nil {
		t.Fatal(err)
	}
	for i, s := range []*recordSink{first, second} {
		var got []string
		for _, line := range s.lines {
			if strings.Contains(line, `"type":"emergency"`) && strings.Contains(line, `"snapshot":"snapshots/cam-000005.jpg"`) {
				got = append(got, "emergency+snapshot")
			}
			if strings.Contains(line, `"type":"clip"`) {
				got = append(got, "clip")
			}
		}
		if strings.Join(got, ",") != "emergency+snapshot,clip" {
			t.Errorf("sink %d got %v, want the emergency with its snapshot, then the added clip event", i, got)
		}
	}
}
