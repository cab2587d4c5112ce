package pipeline

import "github.com/metaood/metaood/event"

// Filter passes to s only the events whose type is in types (a webhook that wants emergencies,
// not 30 anomaly events a second); frames and Close go through unchanged.
func Filter(s Sink, types event.TypeSet) Sink { return &filterSink{s, types} }

type filterSink struct {
	Sink
	types event.TypeSet
}

// Event implements Sink.
func (f *filterSink) Event(e event.Event, line []byte) error {
	if !f.types.Has(e.Head().Type) {
		return nil
	}
	return f.Sink.Event(e, line)
}
