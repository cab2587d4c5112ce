package event

import (
	"testing"
)

// stampAll stamps one sequence of headers with a fresh stamper and returns the ids.
func stampAll(replayable []string, hs []Header) []string {
	ids := NewIDs(replayable)
	out := make([]string, len(hs))
	for i := range hs {
		h := hs[i]
		ids.Stamp(&h)
		out[i] = h.ID
	}
	return out
}

// TestIDsReplayStableLiveUnique: a replay's ids are the same in a second run; a live source's and
// the stats' are not; within a run every id is unique, also for events that share source, frame
// and type (a source lost twice at the same frame).
func TestIDsReplayStableLiveUnique(t *testing.T) {
	hs := []Header{
		{Type: TypeSource, Source: "clip.mp4", Frame: 0},
		{Type: TypeAnomalies, Source: "clip.mp4", Frame: 0},
		{Type: TypeAnomalies, Source: "clip.mp4", Frame: 1},
		{Type: TypeEmergency, Source: "clip.mp4", Frame: 1},
		{Type: TypeAnomalies, Source: "cam:0", Frame: 1},
		{Type: TypeSource, Source: "cam:0", Frame: 5},
		{Type: TypeSource, Source: "cam:0", Frame: 5},
		{Type: TypeStats, Source: "all", Frame: 2},
		{Type: TypeSource, Source: "clip.mp4", Frame: 1},
		{Type: TypeSource, Source: "clip.mp4", Frame: 1},
	}
	replayable := []string{"clip.mp4"}
	first, second := stampAll(replayable, hs), stampAll(replayable, hs)
	seen := map[string]int{}
	for i, h := range hs {
		if len(first[i]) != 20 {
			t.Errorf("%d: id %q is not 20 hex digits", i, first[i])
		}
		if j, dup := seen[first[i]]; dup {
			t.Errorf("events %d and %d share id %s", j, i, first[i])
		}
		seen[first[i]] = i
		stable := h.Source == "clip.mp4"
		if same := first[i] == second[i]; same != stable {
			t.Errorf("%d (%s %s frame %d): same id in two runs = %v, want %v", i, h.Source, h.Type, h.Frame, same, stable)
		}
	}
}

func TestStampKeepsAnID(t *testing.T) {
	h := Header{ID: "given", Type: TypeClear, Source: "s"}
	NewIDs(nil).Stamp(&h)
	if h.ID != "given" || h.V != SchemaVersion {
		t.Errorf("stamped %+v, want the id kept and v=%d", h, SchemaVersion)
	}
}
