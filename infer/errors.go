package infer

import "errors"

// Sentinel errors; every error returned by this package wraps one of them (test with errors.Is).
var (
	// ErrNoRuntime means the ONNX Runtime shared library was not found or could not be loaded.
	ErrNoRuntime = errors.New("ONNX Runtime library unavailable")
	// ErrNotInitialized means New was called before Init.
	ErrNotInitialized = errors.New("infer: Init was not called")
	// ErrModel means the model file is missing, unreadable or not a valid ONNX model.
	ErrModel = errors.New("bad model")
	// ErrModelIO means the model's inputs or outputs do not fit the segmentation contract
	// (one float NCHW input with 3 channels, one float NCHW output with at least Classes channels).
	ErrModelIO = errors.New("model inputs/outputs do not fit")
	// ErrConfig means a Config field has a bad value.
	ErrConfig = errors.New("bad inference config")
	// ErrProvider means the requested execution provider could not be enabled.
	ErrProvider = errors.New("execution provider unavailable")
	// ErrFrame means a frame handed to Infer is malformed.
	ErrFrame = errors.New("bad frame")
	// ErrNonFinite means the model produced NaN or Inf for a frame.
	ErrNonFinite = errors.New("model output is not finite")
	// ErrRun means ONNX Runtime failed while running the model.
	ErrRun = errors.New("inference failed")
	// ErrClosed means the Engine was used after Close.
	ErrClosed = errors.New("engine closed")
)
