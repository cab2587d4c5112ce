package record

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/metaood/metaood/internal/promutil"
)

// Metrics count what the recorders of a run wrote and deleted. A nil *Metrics counts nothing.
type Metrics struct {
	bytes   *prometheus.CounterVec // kind: segment | clip
	files   *prometheus.CounterVec // kind, result: ok | failed
	deletes *prometheus.CounterVec // why: size | age
}

// NewMetrics registers the recording counters with reg (shared when registered twice).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	return &Metrics{
		bytes: promutil.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "metaood_record_bytes_total", Help: "Encoded video bytes written to recordings (segment) and event clips (clip)."}, []string{"kind"})),
		files: promutil.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "metaood_record_files_total", Help: "Recording segments and event clips finalized, by result (ok, failed)."}, []string{"kind", "result"})),
		deletes: promutil.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "metaood_record_deleted_total", Help: "Closed recording segments deleted by retention, by reason (size, age)."}, []string{"why"})),
	}
}

func (m *Metrics) addBytes(kind string, n int) {
	if m != nil {
		m.bytes.WithLabelValues(kind).Add(float64(n))
	}
}

func (m *Metrics) file(kind string, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "failed"
	}
	m.files.WithLabelValues(kind, result).Inc()
}

func (m *Metrics) deleted(why string) {
	if m != nil {
		m.deletes.WithLabelValues(why).Inc()
	}
}
