package capture

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/metaood/metaood/internal/promutil"
)

// Stats are a source's counters so far. (Drops, reconnects and whether a source is up are the
// supervisor's: the pipeline counts them.)
type Stats struct {
	Frames uint64 // frames decoded
	Errors uint64 // unreadable frames or images, failed opens
}

// counters keep a source's Stats and mirror them into Prometheus.
type counters struct {
	frames, errors   atomic.Uint64
	mFrames, mErrors prometheus.Counter
}

func newCounters(reg prometheus.Registerer, id string) *counters {
	c := func(name, help string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"source"})
		if reg != nil {
			v = promutil.Register(reg, v) // shared by every source on one registry
		}
		return v
	}
	frames := c("metaood_capture_frames_total", "Frames decoded per source (processed or dropped later).")
	errors := c("metaood_capture_errors_total", "Unreadable frames or images and failed opens per source.")
	return &counters{mFrames: frames.WithLabelValues(id), mErrors: errors.WithLabelValues(id)}
}

func (c *counters) frame() { c.frames.Add(1); c.mFrames.Inc() }
func (c *counters) fail()  { c.errors.Add(1); c.mErrors.Inc() }

// Stats returns the counters so far.
func (c *counters) Stats() Stats { return Stats{Frames: c.frames.Load(), Errors: c.errors.Load()} }
