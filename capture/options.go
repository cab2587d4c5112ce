package capture

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Source states passed to Options.OnState (the pipeline turns them into `source` events).
const (
	StateOpened      = "opened"      // first successful open
	StateLost        = "lost"        // a live source failed (or is not reachable yet); retrying
	StateReconnected = "reconnected" // a live source is back after a loss
	StateEnded       = "ended"       // end of stream (files, images, synth) or stopped by the context
)

// Options apply to every source opened with them. The zero value is usable: replay as fast as
// possible, no metrics, no state callback.
type Options struct {
	// Realtime paces files, image folders and synthetic drives at their frame rate and makes
	// them live-like (the newest frame wins when the pipeline falls behind). Cameras, URLs and
	// GStreamer pipelines are always live.
	Realtime bool
	// FPS is the frame rate for image folders and for videos that do not declare one (default 30).
	FPS float64
	// Limit stops a source after this many frames (0 = no limit).
	Limit int
	// ID overrides the source id (else derived from the spec, or given as "id=spec").
	ID string
	// Registry receives the capture metrics (metaood_capture_*{source}); nil = not exported.
	Registry prometheus.Registerer
	// OnState is called (from the source's goroutine) when a source opens, is lost, reconnects
	// or ends: OnState(sourceID, state, detail). May be nil.
	OnState func(source, state, detail string)
	// Backoff is the first delay before reopening a lost live source (default 500ms); it doubles
	// up to MaxBackoff (default 30s) and resets after frames flowed again.
	Backoff, MaxBackoff time.Duration
	// WaitFirst keeps retrying a live source whose first open fails (a camera that comes up
	// after metaood); without it that first failure is an error, so a wrong index is reported.
	WaitFirst bool
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
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.MaxBackoff < o.Backoff {
		o.MaxBackoff = o.Backoff
	}
	return o, nil
}

func logOrDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
