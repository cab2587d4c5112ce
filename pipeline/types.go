// Package pipeline runs metaood's real-time stages: source supervisors → the edge (one slot
// per source) → inference (batches) → postproc workers → reorder → meta classifier → emergency
// tracker → sinks. Stages have the shape Run(ctx, in, out) error and close their output;
// internal channels are small and blocking so back-pressure bounds latency; frames are dropped
// in one place only, the live edge before inference, and counted. The package is pure Go: the
// cgo adapters (capture, infer, render) are plugged in through frame.Source and the small
// interfaces declared here.
package pipeline

import (
	"time"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/postproc"
)

// Segmenter runs the segmentation model (infer.Engine, a cgo adapter).
type Segmenter interface {
	// Segment returns one map per frame, in order. An error is fatal for the run; a failure of one
	// frame goes into that map's Err.
	Segment(frames []*frame.Frame) ([]*frame.Map, error)
}

// Analyzer turns a map into components and metrics: *postproc.MapAnalyzer (an interface only so
// that tests can script components). Safe for concurrent use.
type Analyzer interface {
	// Analyze returns an error for a bad map (shape, NaN, Inf); the pipeline counts it and goes on.
	Analyze(m *frame.Map) (*postproc.Result, error)
}

// Result is one processed frame as the sinks see it, in order per source.
type Result struct {
	Frame          *frame.Frame
	Index          uint64           // position in the pipeline's input order
	Analysis       *postproc.Result // nil when Err is set
	ScaleX, ScaleY float64
	// Anomalies holds every component in frame pixels, Kept says which the meta classifier kept.
	Anomalies []event.Anomaly
	Kept      []bool
	Rejected  int
	Emergency bool          // the source is in an emergency after this frame
	Events    []event.Event // the events this frame produced
	Err       error         // per-frame error (e.g. NaN logits); counted, never fatal
	Latency   time.Duration // capture to the sink stage
	FPS       float64       // pipeline output rate over the last second
}

// Sink is an output. The pipeline calls it from one goroutine, in order.
type Sink interface {
	// Frame is called for every processed frame, including frames with Err set. Every sink gets
	// the frame before the frame's events (r.Events) go to any sink, so Frame may fill in those
	// events or append to them (render adds the paths of an emergency's clip and snapshot).
	Frame(r *Result) error
	// Event is called for every event with its JSON line (no newline).
	Event(e event.Event, line []byte) error
	// Close flushes and finalizes the output; it is called once, also after a fatal error.
	Close() error
}
