// Package pipeline runs metaood's real-time stages: source supervisors → the edge (one slot
// per source) → inference (batches) → postproc workers → reorder → meta classifier → emergency
// tracker → sinks. Stages have the shape Run(ctx, in, out) error and close their output;
// internal channels are small and blocking so back-pressure bounds latency; frames are dropped
// in one place only, the live edge before inference, and counted. The package is pure Go: the
// cgo adapters (capture, infer, render) are plugged in through frame.Source and the small
// interfaces declared here.
package pipeline

import (
	"image"
	"time"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
)

// Map is the segmentation output of one frame: C×H×W class scores, planar, class-major.
type Map struct {
	Frame          *frame.Frame
	C, H, W        int
	Data           []float32
	ScaleX, ScaleY float64 // frame px per map px
	Release        func()  // returns Data to its pool; may be nil
	// Err is a per-frame failure (e.g. NaN model output): the frame is counted and skipped, the
	// run goes on. Data is then unused.
	Err error
}

// Segmenter runs the segmentation model. The cmd adapter wraps infer.Engine.
type Segmenter interface {
	// Segment returns one Map per frame, in order. An error is fatal for the run; a failure of one
	// frame goes into that Map's Err.
	Segment(frames []*frame.Frame) ([]*Map, error)
}

// Component is one connected component of the anomaly mask, in map pixels.
type Component struct {
	Area     int
	BBox     image.Rectangle
	Centroid [2]float64 // x, y
}

// Analysis is the postproc result of one map.
type Analysis struct {
	H, W       int
	Entropy    []float32 // H×W normalized entropy
	Components []Component
	Metrics    []float64 // len(Components) × NumMetrics, row-major
	NumMetrics int
	Release    func() // returns the buffers to their pool; may be nil
}

// Analyzer turns a map into components and metrics (postproc). Safe for concurrent use.
type Analyzer interface {
	// Analyze returns an error for a bad map (shape, NaN, Inf); the pipeline counts it and goes on.
	Analyze(m *Map) (*Analysis, error)
}

// Classifier is the meta classifier. *metaclf.Model satisfies it.
type Classifier interface {
	// PredictBatch writes P(false positive) of each of the n rows of x into out.
	PredictBatch(x []float64, n int, out []float64)
	// Threshold is the P(false positive) above which a component is removed.
	Threshold() float64
}

// Result is one processed frame as the sinks see it, in order per source.
type Result struct {
	Frame          *frame.Frame
	Index          uint64    // position in the pipeline's input order
	Analysis       *Analysis // nil when Err is set
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
	// Frame is called for every processed frame, including frames with Err set.
	Frame(r *Result) error
	// Event is called for every event with its JSON line (no newline).
	Event(e event.Event, line []byte) error
	// Close flushes and finalizes the output; it is called once, also after a fatal error.
	Close() error
}
