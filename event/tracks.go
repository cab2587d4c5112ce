package event

import (
	"slices"
	"sync"
)

// Tracks gives each kept anomaly a track id that persists while the same object is seen in
// consecutive frames of its source. Matching is greedy: pairs of a live track and an anomaly
// whose boxes overlap by IoU ≥ MinIoU first (best overlap first), then pairs whose centroids lie
// within half the larger box diagonal (nearest first: a small object moving fast overlaps
// little). An anomaly left unmatched starts a new track; a track unmatched for more than
// MaxMisses frames ends, so one missed detection keeps the id. Ids count from 1 per source and
// are never reused within a run. Deterministic; safe for concurrent use.
type Tracks struct {
	MinIoU    float64
	MaxMisses int

	mu      sync.Mutex
	sources map[string]*sourceTracks
}

type sourceTracks struct {
	next  int // the last id given
	live  []track
	pairs []pair // scratch
}

type track struct {
	id       int
	box      [4]int
	centroid [2]float64
	misses   int
}

type pair struct {
	t, a  int     // indices into live and the anomalies
	iou   float64 // ≥ MinIoU for an overlap match, else 0
	dist2 float64 // squared centroid distance
}

// NewTracks returns tracks with MinIoU 0.3 and MaxMisses 2.
func NewTracks() *Tracks {
	return &Tracks{MinIoU: 0.3, MaxMisses: 2, sources: map[string]*sourceTracks{}}
}

// Assign sets TrackID on each of the anomalies of the next processed frame of source (call it for
// every frame, also those with none, so that tracks age).
func (t *Tracks) Assign(source string, anoms []Anomaly) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.sources[source]
	if st == nil {
		st = &sourceTracks{}
		t.sources[source] = st
	}
	st.pairs = st.pairs[:0]
	for ti, tr := range st.live {
		for ai := range anoms {
			a := &anoms[ai]
			iou := boxIoU(tr.box, a.BBox)
			dx, dy := tr.centroid[0]-a.Centroid[0], tr.centroid[1]-a.Centroid[1]
			d2 := dx*dx + dy*dy
			reach := max(diag2(tr.box), diag2(a.BBox)) / 4 // (half the diagonal)²
			switch {
			case iou >= t.MinIoU:
				st.pairs = append(st.pairs, pair{ti, ai, iou, d2})
			case d2 <= reach:
				st.pairs = append(st.pairs, pair{ti, ai, 0, d2})
			}
		}
	}
	slices.SortFunc(st.pairs, func(p, q pair) int {
		switch {
		case p.iou != q.iou:
			return cmpDesc(p.iou, q.iou)
		case p.dist2 != q.dist2:
			return cmpDesc(q.dist2, p.dist2)
		case p.t != q.t:
			return p.t - q.t
		}
		return p.a - q.a
	})
	matchedT := make([]bool, len(st.live))
	for i := range anoms {
		anoms[i].TrackID = 0
	}
	for _, p := range st.pairs {
		if matchedT[p.t] || anoms[p.a].TrackID != 0 {
			continue
		}
		matchedT[p.t] = true
		anoms[p.a].TrackID = st.live[p.t].id
		st.live[p.t] = track{id: st.live[p.t].id, box: anoms[p.a].BBox, centroid: anoms[p.a].Centroid}
	}
	kept := st.live[:0]
	for i, tr := range st.live {
		if !matchedT[i] {
			tr.misses++
		}
		if tr.misses <= t.MaxMisses {
			kept = append(kept, tr)
		}
	}
	st.live = kept
	for i := range anoms {
		if anoms[i].TrackID == 0 {
			st.next++
			anoms[i].TrackID = st.next
			st.live = append(st.live, track{id: st.next, box: anoms[i].BBox, centroid: anoms[i].Centroid})
		}
	}
}

// End forgets the live tracks of a source whose stream ended or was lost; its ids keep counting,
// so a reconnected camera never reuses one.
func (t *Tracks) End(source string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if st := t.sources[source]; st != nil {
		st.live = st.live[:0]
	}
}

// boxIoU is the intersection over union of two [x, y, w, h] boxes.
func boxIoU(a, b [4]int) float64 {
	iw := min(a[0]+a[2], b[0]+b[2]) - max(a[0], b[0])
	ih := min(a[1]+a[3], b[1]+b[3]) - max(a[1], b[1])
	if iw <= 0 || ih <= 0 {
		return 0
	}
	inter := float64(iw) * float64(ih)
	return inter / (float64(a[2])*float64(a[3]) + float64(b[2])*float64(b[3]) - inter)
}

func diag2(b [4]int) float64 { return float64(b[2])*float64(b[2]) + float64(b[3])*float64(b[3]) }

// cmpDesc orders larger first.
func cmpDesc(x, y float64) int {
	switch {
	case x > y:
		return -1
	case x < y:
		return 1
	}
	return 0
}
