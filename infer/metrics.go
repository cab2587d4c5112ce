package infer

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/metaood/metaood/internal/promutil"
)

// metrics are the engine's Prometheus collectors. Several engines may share one registry:
// they then share the collectors.
type metrics struct {
	provider *prometheus.GaugeVec // metaood_infer_provider{provider}: 1 for the provider in use
	frames   prometheus.Counter
	errors   prometheus.Counter
	batch    prometheus.Histogram
	seconds  prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		provider: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "metaood_infer_provider",
			Help: "Execution provider actually in use (1) by the inference engine: cpu, cuda or tensorrt.",
		}, []string{"provider"}),
		frames: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "metaood_infer_frames_total",
			Help: "Frames run through the segmentation model.",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "metaood_infer_errors_total",
			Help: "Frames whose inference failed (runtime error or non-finite output).",
		}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "metaood_infer_batch_frames",
			Help:    "Frames per model run.",
			Buckets: []float64{1, 2, 3, 4, 6, 8, 12, 16, 32},
		}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "metaood_infer_run_seconds",
			Help:    "Wall time of one model run (preprocessing included).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
	}
	if reg == nil {
		return m
	}
	m.provider = promutil.Register(reg, m.provider)
	m.frames = promutil.Register(reg, m.frames)
	m.errors = promutil.Register(reg, m.errors)
	m.batch = promutil.Register(reg, m.batch)
	m.seconds = promutil.Register(reg, m.seconds)
	return m
}

func (m *metrics) setProvider(p string) {
	for _, name := range []string{ProviderCPU, ProviderCUDA, ProviderTensorRT} {
		v := 0.0
		if name == p {
			v = 1
		}
		m.provider.WithLabelValues(name).Set(v)
	}
}
