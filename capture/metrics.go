package capture

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/metaood/metaood/internal/promutil"
)

// Stats are a source's counters so far.
type Stats struct {
	Frames     uint64 // frames captured (delivered or dropped)
	Dropped    uint64 // captured, not delivered: replaced in the live queue (pipeline behind) or discarded at shutdown
	Reconnects uint64 // successful reopens of a lost live source
	Errors     uint64 // unreadable images, failed reads, failed opens
}

// StatsSource is implemented by every Source this package returns.
type StatsSource interface {
	Stats() Stats
}

// counters keep a source's Stats and mirror them into Prometheus.
type counters struct {
	frames, dropped, reconnects, errors atomic.Uint64

	mFrames, mDropped, mReconnects, mErrors prometheus.Counter
	mUp                                     prometheus.Gauge
}

// Metric vectors, shared by all sources on one registry (label: source id).
type vecs struct {
	frames, dropped, reconnects, errors *prometheus.CounterVec
	up                                  *prometheus.GaugeVec
}

func newVecs() vecs {
	c := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"source"})
	}
	return vecs{
		frames:     c("metaood_capture_frames_total", "Frames captured per source (delivered or dropped)."),
		dropped:    c("metaood_capture_dropped_frames_total", "Frames captured but not delivered: replaced in a live queue while the pipeline was behind (newest frame wins), or discarded at shutdown."),
		reconnects: c("metaood_capture_reconnects_total", "Successful reopens of a lost live source."),
		errors:     c("metaood_capture_errors_total", "Unreadable frames or images and failed opens per source."),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "metaood_capture_up",
			Help: "1 while the source is open and delivering, 0 otherwise."}, []string{"source"}),
	}
}

func newCounters(reg prometheus.Registerer, id string) *counters {
	v := newVecs()
	if reg != nil {
		v.frames = promutil.Register(reg, v.frames)
		v.dropped = promutil.Register(reg, v.dropped)
		v.reconnects = promutil.Register(reg, v.reconnects)
		v.errors = promutil.Register(reg, v.errors)
		v.up = promutil.Register(reg, v.up)
	}
	return &counters{
		mFrames: v.frames.WithLabelValues(id), mDropped: v.dropped.WithLabelValues(id),
		mReconnects: v.reconnects.WithLabelValues(id), mErrors: v.errors.WithLabelValues(id),
		mUp: v.up.WithLabelValues(id),
	}
}

func (c *counters) frame()     { c.frames.Add(1); c.mFrames.Inc() }
func (c *counters) drop()      { c.dropped.Add(1); c.mDropped.Inc() }
func (c *counters) reconnect() { c.reconnects.Add(1); c.mReconnects.Inc() }
func (c *counters) fail()      { c.errors.Add(1); c.mErrors.Inc() }
func (c *counters) up(on bool) {
	if on {
		c.mUp.Set(1)
	} else {
		c.mUp.Set(0)
	}
}

// DroppedFrames is the number of frames dropped inside the source's own live queue (the
// pipeline adds them to its own drop counts: pipeline.DropCounter).
func (c *counters) DroppedFrames() uint64 { return c.dropped.Load() }

// Stats returns the counters so far.
func (c *counters) Stats() Stats {
	return Stats{Frames: c.frames.Load(), Dropped: c.dropped.Load(), Reconnects: c.reconnects.Load(), Errors: c.errors.Load()}
}
