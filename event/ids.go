package event

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"sync"
)

// SchemaVersion is the value of every event's "v" field (docs/CONTRACTS.md §4 says when it changes).
const SchemaVersion = 1

// IDs stamps events with the schema version and an id. An id is a hash of the source, the frame,
// the type and the event's rank among the events of that source, frame and type, so the same
// replay gives the same ids in every run (a consumer that dedupes by id sees a redo as
// duplicates). For a live source the hash also covers a random run id: frame numbers restart
// with every run, ids must not. Safe for concurrent use.
type IDs struct {
	run        string          // random per run; mixed into the ids of live sources and stats
	replayable map[string]bool // sources whose events are the same in every run
	mu         sync.Mutex
	last       map[rankKey]rank
}

type rankKey struct{ source, typ string }

type rank struct {
	frame uint64
	n     uint64
}

// NewIDs returns a stamper. replayable lists the sources whose ids are the same in every run
// (files, folders and synthetic drives replayed without pacing); every other source, and the
// "stats" events, get run-unique ids.
func NewIDs(replayable []string) *IDs {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	ids := &IDs{run: hex.EncodeToString(b[:]), replayable: map[string]bool{}, last: map[rankKey]rank{}}
	for _, s := range replayable {
		ids.replayable[s] = true
	}
	return ids
}

// Stamp sets h.V and h.ID unless h already has an id. Events of one source and type must be
// stamped in the order of their frames (the pipeline's order).
func (s *IDs) Stamp(h *Header) {
	h.V = SchemaVersion
	if h.ID != "" {
		return
	}
	s.mu.Lock()
	k := rankKey{h.Source, h.Type}
	if r, seen := s.last[k]; seen && r.frame == h.Frame {
		s.last[k] = rank{frame: h.Frame, n: r.n + 1}
	} else {
		s.last[k] = rank{frame: h.Frame}
	}
	r := s.last[k]
	s.mu.Unlock()
	scope := ""
	if h.Type == TypeStats || !s.replayable[h.Source] {
		scope = s.run
	}
	h.ID = eventID(scope, h.Source, h.Type, h.Frame, r.n)
}

// eventID hashes what makes an event unique into 20 hex digits (80 bits: collisions are out of
// reach for any fleet's event count).
func eventID(scope, source, typ string, frame, n uint64) string {
	d := sha256.New()
	var num [16]byte
	binary.BigEndian.PutUint64(num[:8], frame)
	binary.BigEndian.PutUint64(num[8:], n)
	for _, part := range []string{scope, source, typ} {
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(part)))
		d.Write(l[:])
		d.Write([]byte(part))
	}
	d.Write(num[:])
	return hex.EncodeToString(d.Sum(nil)[:10])
}
