package pipeline

import "github.com/prometheus/client_golang/prometheus"

// Results of metaood_sink_events_total.
const (
	ResultSent    = "sent"    // the receiver took the event
	ResultFailed  = "failed"  // given up: refused for good, or still undelivered when the output closed
	ResultDropped = "dropped" // lost to a full queue (the receiver or broker slow or down)
)

// SinkCounters count what a network output did with its events. The zero value counts nothing.
type SinkCounters struct{ sent, failed, dropped prometheus.Counter }

// SinkCounters returns the counters of the output named sink ("webhook", "mqtt"), all three
// exported from 0. A nil Metrics gives counters that count nothing.
func (m *Metrics) SinkCounters(sink string) SinkCounters {
	if m == nil {
		return SinkCounters{}
	}
	return SinkCounters{
		sent:    m.sinkEvents.WithLabelValues(sink, ResultSent),
		failed:  m.sinkEvents.WithLabelValues(sink, ResultFailed),
		dropped: m.sinkEvents.WithLabelValues(sink, ResultDropped),
	}
}

// Sent counts n delivered events.
func (c SinkCounters) Sent(n int) { add(c.sent, n) }

// Failed counts n events given up on.
func (c SinkCounters) Failed(n int) { add(c.failed, n) }

// Dropped counts n events lost before they could be sent.
func (c SinkCounters) Dropped(n int) { add(c.dropped, n) }

func add(c prometheus.Counter, n int) {
	if c != nil && n > 0 {
		c.Add(float64(n))
	}
}
