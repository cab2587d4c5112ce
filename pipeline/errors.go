package pipeline

import "errors"

// ErrConfig reports a pipeline configuration that cannot run (no source, no segmenter, bad worker count).
var ErrConfig = errors.New("bad pipeline configuration")

// ErrSegment reports a failed inference call; it is fatal: the model or its output is broken.
var ErrSegment = errors.New("inference failed")

// ErrSink reports an output (events file, CSV, video, webhook) that failed while writing.
var ErrSink = errors.New("output failed")

// ErrOutDir reports an output folder that cannot be created or written.
var ErrOutDir = errors.New("output folder not writable")
