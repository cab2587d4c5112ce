package stream

import "github.com/prometheus/client_golang/prometheus"

// metrics are the server's Prometheus collectors, on a registry of its own (served at /metrics
// and returned by Collectors so the pipeline can add them to its registry).
type metrics struct {
	viewers       *prometheus.GaugeVec   // by source
	framesEncoded *prometheus.CounterVec // by source
	framesDropped *prometheus.CounterVec // by source and queue ("source" slot, "viewer" queues, "invalid" frames)
	encodeSeconds *prometheus.HistogramVec
	eventsSent    prometheus.Counter
	eventsDropped prometheus.Counter     // full per-viewer queues, congested data channels, invalid JSON
	rejected      *prometheus.CounterVec // refused /whep requests by reason
	reg           *prometheus.Registry
}

func newMetrics() *metrics {
	m := &metrics{
		viewers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "metaood_stream_viewers", Help: "Connected WebRTC viewers.",
		}, []string{"source"}),
		framesEncoded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "metaood_stream_frames_encoded_total", Help: "Frames encoded to VP8.",
		}, []string{"source"}),
		framesDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "metaood_stream_frames_dropped_total", Help: "Frames dropped: queue=source (encoder busy, newer frame kept), viewer (a viewer's queue full) or invalid (size mismatch).",
		}, []string{"source", "queue"}),
		encodeSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "metaood_stream_encode_seconds", Help: "BGR to VP8 time per frame.",
			Buckets: []float64{.002, .005, .01, .015, .02, .03, .05, .1},
		}, []string{"source"}),
		eventsSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "metaood_stream_events_sent_total", Help: "Event messages sent over data channels.",
		}),
		eventsDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "metaood_stream_events_dropped_total", Help: "Event messages dropped (viewer queue full, channel congested, invalid JSON).",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "metaood_stream_requests_rejected_total", Help: "Refused HTTP requests by reason.",
		}, []string{"reason"}),
		reg: prometheus.NewRegistry(),
	}
	m.reg.MustRegister(m.collectors()...)
	return m
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.viewers, m.framesEncoded, m.framesDropped, m.encodeSeconds,
		m.eventsSent, m.eventsDropped, m.rejected}
}
