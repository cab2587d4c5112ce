package capture

import (
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// Options apply to every source opened with them. The zero value is usable: replay as fast as
// possible, no metrics.
type Options struct {
	// Realtime makes files, image folders and synthetic drives frame.Paced: played at their
	// frame rate, the newest frame winning when the pipeline falls behind. Cameras, URLs and
	// GStreamer pipelines are always frame.Device.
	Realtime bool
	// FPS is the frame rate for image folders and for videos that do not declare one (default 30).
	FPS float64
	// Limit ends a source's streams after this many frames in all (0 = no limit).
	Limit int
	// ID overrides the source id (else derived from the spec, or given as "id=spec").
	ID string
	// Registry receives the capture metrics (metaood_capture_*{source}); nil = not exported.
	Registry prometheus.Registerer
}

func (o Options) withDefaults() (Options, error) {
	if o.FPS < 0 || o.FPS != o.FPS || o.FPS > 1000 {
		return o, fmt.Errorf("%w: fps %v; want 0 (default 30) up to 1000", ErrOptions, o.FPS)
	}
	if o.FPS == 0 {
		o.FPS = 30
	}
	if o.Limit < 0 {
		return o, fmt.Errorf("%w: frame limit %d is negative", ErrOptions, o.Limit)
	}
	return o, nil
}

func logOrDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
