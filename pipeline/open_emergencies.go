package pipeline

import (
	"maps"
	"slices"
	"time"

	"github.com/metaood/metaood/event"
)

// openEmergencies is, per source, the emergency the sinks were given and not yet its clear. The
// sink stage alone uses it.
type openEmergencies map[string]*event.Emergency

// note follows an event on its way to the sinks.
func (o openEmergencies) note(e event.Event) {
	switch e := e.(type) {
	case *event.Emergency:
		o[e.Source] = e
	case *event.Clear:
		if em := o[e.Source]; em != nil && em.ID == e.EmergencyID {
			delete(o, e.Source)
		}
	}
}

// clearOpen gives the sinks, before they close, the clear of every emergency they saw open: a run
// stopped in a hurry, or by an error, ends without its sources' end events. The tracker's clears
// come first (exact since-frame timing); an emergency whose clear was made but lost with a frame
// in flight gets one built from the emergency, its duration counted from the emergency's frame.
// The tracker's clears of emergencies the sinks never saw (lost in flight) are dropped.
func (p *run) clearOpen(sinks []Sink, lastSeq map[string]uint64, open openEmergencies) {
	if tr := p.cfg.Tracker; tr != nil {
		for _, c := range tr.EndAll() {
			if em := open[c.Source]; em != nil && em.ID == c.EmergencyID {
				p.emit(sinks, c, open)
			}
		}
	}
	for _, src := range slices.Sorted(maps.Keys(open)) {
		em, now := open[src], time.Now()
		p.emit(sinks, &event.Clear{
			Header:     event.Header{Type: event.TypeClear, Source: src, Frame: max(lastSeq[src], em.Frame), CaptureTS: event.At(now)},
			SinceFrame: em.SinceFrame, DurationMS: float64(now.Sub(em.CaptureTS.Time)) / float64(time.Millisecond),
			EmergencyID: em.ID, TrackID: em.Anomaly.TrackID,
		}, open)
	}
}
