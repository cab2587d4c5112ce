package pipeline

import (
	"sync/atomic"
	"time"

	"github.com/metaood/metaood/event"
)

// States carries source state reports from a capture layer that retries live sources itself
// (capture.Options.OnState = states.Report). The pipeline emits "opened" and "ended" on its own,
// in order with the frames; Report passes the other states (lost, reconnected) through.
type States struct {
	ch      chan *event.SourceState
	Dropped atomic.Uint64 // reports dropped because 64 were already waiting
}

// NewStates returns an empty hub; give it to Config.States.
func NewStates() *States { return &States{ch: make(chan *event.SourceState, 64)} }

// Report records a state of source; it never blocks. Safe for concurrent use.
func (s *States) Report(source, state, detail string) {
	if state == event.StateOpened || state == event.StateEnded {
		return
	}
	now := time.Now()
	e := &event.SourceState{Header: event.Header{Type: event.TypeSource, Source: source, CaptureTS: event.At(now), EmitTS: event.At(now)}, State: state, Detail: detail}
	select {
	case s.ch <- e:
	default:
		s.Dropped.Add(1)
	}
}
