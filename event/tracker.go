package event

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// TrackerConfig sets when an emergency is raised and cleared.
type TrackerConfig struct {
	Corridor Corridor
	MinArea  int // A: a qualifying anomaly has at least this many source-frame pixels
	K, N     int // raise when a qualifying anomaly was present in K of the last N frames
}

// DefaultTrackerConfig is the default corridor, A = 400 px, 3 of the last 5 frames.
func DefaultTrackerConfig() TrackerConfig {
	return TrackerConfig{Corridor: DefaultCorridor(), MinArea: 400, K: 3, N: 5}
}

// Validate reports settings that cannot work.
func (c TrackerConfig) Validate() error {
	if err := c.Corridor.Validate(); err != nil {
		return err
	}
	if c.N < 1 || c.N > 64 {
		return fmt.Errorf("%w: window n=%d, want 1..64", ErrTracker, c.N)
	}
	if c.K < 1 || c.K > c.N {
		return fmt.Errorf("%w: k=%d, want 1..n (n=%d)", ErrTracker, c.K, c.N)
	}
	if c.MinArea < 0 {
		return fmt.Errorf("%w: minimum area %d is negative", ErrTracker, c.MinArea)
	}
	return nil
}

// Tracker raises and clears emergencies per source. Hysteresis: an emergency is raised when K of the
// last N frames had a qualifying anomaly, and cleared only once K consecutive frames had none, so one
// missed detection does not end it. Safe for concurrent use: the pipeline updates it from the
// classifier stage and ends sources from the sink stage.
type Tracker struct {
	cfg     TrackerConfig
	mu      sync.Mutex
	sources map[string]*trackState
	ids     *IDs // stamps emergencies and clears, so a clear can name its emergency
}

type trackState struct {
	hist     uint64 // bit i = frame (last-i) qualified; only the low N bits count
	misses   int    // consecutive frames without a qualifying anomaly
	active   bool
	since    uint64 // first qualifying frame of the current run
	sinceTS  time.Time
	runStart bool // since is valid for the current run of hits
	// The active emergency: its event id and its anomaly's track, for the clear that ends it.
	emergencyID string
	trackID     int
	last        Header // the last frame's header, for EndAll's clears
}

// NewTracker checks cfg and returns a tracker.
func NewTracker(cfg TrackerConfig) (*Tracker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Tracker{cfg: cfg, sources: map[string]*trackState{}}, nil
}

// SetIDs makes the tracker stamp its events with ids (the pipeline's stamper, so ids are unique
// over the run); without it the tracker uses a stamper of its own with run-unique ids.
func (t *Tracker) SetIDs(ids *IDs) {
	t.mu.Lock()
	t.ids = ids
	t.mu.Unlock()
}

// stamp gives e its id; t.mu is held.
func (t *Tracker) stamp(h *Header) {
	if t.ids == nil {
		t.ids = NewIDs(nil)
	}
	t.ids.Stamp(h)
}

// clear ends st's emergency; t.mu is held.
func (t *Tracker) clear(st *trackState, hdr Header) *Clear {
	hdr.Type, hdr.EmitTS, hdr.ID = TypeClear, At(time.Now()), "" // hdr may be a source event's
	c := &Clear{Header: hdr, SinceFrame: st.since, DurationMS: float64(hdr.CaptureTS.Sub(st.sinceTS)) / float64(time.Millisecond),
		EmergencyID: st.emergencyID, TrackID: st.trackID}
	t.stamp(&c.Header)
	return c
}

// Config returns the tracker's settings.
func (t *Tracker) Config() TrackerConfig { return t.cfg }

// Mark sets InCorridor on each anomaly of a w×h frame and returns the index of the largest one that
// qualifies (in the corridor, area ≥ MinArea), or -1.
func (t *Tracker) Mark(anoms []Anomaly, w, h int) int {
	best := -1
	for i := range anoms {
		anoms[i].InCorridor = t.cfg.Corridor.ContainsAnomaly(anoms[i], w, h)
		if anoms[i].InCorridor && anoms[i].Area >= t.cfg.MinArea && (best < 0 || anoms[i].Area > anoms[best].Area) {
			best = i
		}
	}
	return best
}

// Update feeds one processed frame of a source (its kept anomalies, already passed through Mark) and
// returns an Emergency or Clear event when the state changes, else nil. hdr gives source, frame and
// capture time; its Type and EmitTS are filled in here.
func (t *Tracker) Update(hdr Header, anoms []Anomaly, best int) Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.sources[hdr.Source]
	if st == nil {
		st = &trackState{}
		t.sources[hdr.Source] = st
	}
	st.last = hdr
	hit := best >= 0
	st.hist <<= 1
	if hit {
		st.hist |= 1
		st.misses = 0
		if !st.runStart {
			st.runStart, st.since, st.sinceTS = true, hdr.Frame, hdr.CaptureTS.Time
		}
	} else {
		st.misses++
	}
	mask := uint64(1)<<uint(t.cfg.N) - 1
	if t.cfg.N == 64 {
		mask = ^uint64(0)
	}
	hits := popcount(st.hist & mask)
	switch {
	case !st.active && hit && hits >= t.cfg.K:
		st.active = true
		hdr.Type, hdr.EmitTS, hdr.ID = TypeEmergency, At(time.Now()), ""
		e := &Emergency{Header: hdr, Anomaly: anoms[best], SinceFrame: st.since}
		t.stamp(&e.Header)
		st.emergencyID, st.trackID = e.ID, e.Anomaly.TrackID
		return e
	case st.active && st.misses >= t.cfg.K:
		st.active, st.runStart = false, false
		return t.clear(st, hdr)
	case !st.active && hits == 0:
		st.runStart = false // the window emptied: a later run starts afresh
	}
	return nil
}

// Active reports whether source is in an emergency.
func (t *Tracker) Active(source string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.sources[source]
	return st != nil && st.active
}

// End forgets a source whose stream ended or was lost. If it was in an emergency, the Clear
// event that closes it is returned (hdr: the source event's header), so an emergency never
// stays open in the events without a source to clear it.
func (t *Tracker) End(hdr Header) Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.sources[hdr.Source]
	delete(t.sources, hdr.Source)
	if st == nil || !st.active {
		return nil
	}
	return t.clear(st, hdr)
}

// EndAll forgets every source, as End does, for a run that stops without ending its sources
// (stopped in a hurry, or failed). It returns the Clear events of the emergencies still open, in
// the order of their source ids, each at its source's last updated frame, so that no emergency
// outlives the run unclosed.
func (t *Tracker) EndAll() []*Clear {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids := make([]string, 0, len(t.sources))
	for id := range t.sources {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var clears []*Clear
	for _, id := range ids {
		if st := t.sources[id]; st.active {
			clears = append(clears, t.clear(st, st.last))
		}
		delete(t.sources, id)
	}
	return clears
}

func popcount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}
