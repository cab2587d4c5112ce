package pipeline

import (
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/metaood/metaood/event"
)

// Stage names used in metrics, stats events and the bench table.
const (
	StageCapture  = "capture" // time a frame waited between capture and inference
	StageInfer    = "infer"
	StagePostproc = "postproc"
	StageMetaclf  = "metaclf"
	StageSink     = "sinks"
	StageTotal    = "total" // capture to sinks done
)

// Metrics holds the pipeline's Prometheus collectors on its own registry, and short latency windows
// for the once-a-second stats event and the bench table.
type Metrics struct {
	Registry *prometheus.Registry
	stage    *prometheus.HistogramVec
	frames   *prometheus.CounterVec
	dropped  *prometheus.CounterVec
	errors   *prometheus.CounterVec
	anoms    *prometheus.CounterVec
	emerg    *prometheus.CounterVec
	fps      prometheus.Gauge
	queue    *prometheus.GaugeVec
	provider *prometheus.GaugeVec
	// The supervisor's, under the names capture used before it moved here (dashboards keep working).
	reconnects *prometheus.CounterVec
	up         *prometheus.GaugeVec
	sinkEvents *prometheus.CounterVec // network outputs: sent, failed, dropped per sink

	mu  sync.Mutex
	win map[string]*window
}

// NewMetrics registers the collectors on a fresh registry (with Go and process collectors).
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		stage: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "metaood_stage_seconds", Help: "Per-stage latency per frame (infer: per batch call).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"stage"}),
		frames:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "metaood_frames_total", Help: "Frames processed."}, []string{"source"}),
		dropped:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "metaood_dropped_frames_total", Help: "Frames dropped at a live edge."}, []string{"source", "where"}),
		errors:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "metaood_frame_errors_total", Help: "Per-frame errors (counted, not fatal)."}, []string{"stage"}),
		anoms:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "metaood_anomalies_total", Help: "Components by meta classifier decision."}, []string{"decision"}),
		emerg:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "metaood_emergencies_total", Help: "Emergency events raised."}, []string{"source"}),
		fps:      prometheus.NewGauge(prometheus.GaugeOpts{Name: "metaood_fps", Help: "Pipeline output frames per second over the last second."}),
		queue:    prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "metaood_queue_depth", Help: "Items waiting in a stage's input queue."}, []string{"queue"}),
		provider: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "metaood_execution_provider", Help: "1 for the execution provider in use."}, []string{"provider"}),
		win:      map[string]*window{},
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "metaood_capture_reconnects_total",
			Help: "Successful reopens of a lost device source."}, []string{"source"}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "metaood_capture_up",
			Help: "1 while the source is open and delivering, 0 otherwise."}, []string{"source"}),
		sinkEvents: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "metaood_sink_events_total",
			Help: "Events a network output delivered (sent), gave up on (failed) or lost to a full queue (dropped); for mqtt, messages, its retained states included."},
			[]string{"sink", "result"}),
	}
	m.Registry.MustRegister(m.stage, m.frames, m.dropped, m.errors, m.anoms, m.emerg, m.fps, m.queue, m.provider, m.reconnects, m.up, m.sinkEvents,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format (mount it at /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// SetProvider records the execution provider ("cpu", "cuda", "tensorrt").
func (m *Metrics) SetProvider(p string) { m.provider.WithLabelValues(p).Set(1) }

// Observe records one latency sample of stage.
func (m *Metrics) Observe(stage string, d time.Duration) {
	m.stage.WithLabelValues(stage).Observe(d.Seconds())
	m.mu.Lock()
	w := m.win[stage]
	if w == nil {
		w = &window{}
		m.win[stage] = w
	}
	w.add(d)
	m.mu.Unlock()
}

// Quantiles returns p50 and p99 of each stage over its last samples (up to 1024).
func (m *Metrics) Quantiles() map[string]event.StageStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]event.StageStats, len(m.win))
	for name, w := range m.win {
		out[name] = w.stats()
	}
	return out
}

// window is a ring of the last latency samples of one stage.
type window struct {
	buf  [1024]time.Duration
	n, i int
}

func (w *window) add(d time.Duration) {
	w.buf[w.i] = d
	w.i = (w.i + 1) % len(w.buf)
	if w.n < len(w.buf) {
		w.n++
	}
}

func (w *window) stats() event.StageStats {
	if w.n == 0 {
		return event.StageStats{}
	}
	s := slices.Clone(w.buf[:w.n])
	slices.Sort(s)
	q := func(p float64) float64 {
		return float64(s[min(w.n-1, int(p*float64(w.n)))]) / float64(time.Millisecond)
	}
	return event.StageStats{P50MS: q(0.5), P99MS: q(0.99)}
}
