package calib

import "errors"

// Sentinel errors; messages wrap them with the file, row or flag concerned.
var (
	// ErrCSV means a dataset CSV is malformed (header, field count, a number that does not parse).
	ErrCSV = errors.New("bad dataset CSV")
	// ErrValue means a number is NaN or infinite, or a label is not 0/1.
	ErrValue = errors.New("bad value")
	// ErrData means the data cannot support the request (one class only, too few rows, no image column).
	ErrData = errors.New("dataset cannot support this")
	// ErrOption means an option is invalid (unknown model kind, bad CV spec).
	ErrOption = errors.New("invalid option")
	// ErrInterrupted means the context ended before all folds finished; the result holds the finished ones.
	ErrInterrupted = errors.New("interrupted")
	// ErrMeta means a dataset sidecar (<csv>.meta.json) is malformed.
	ErrMeta = errors.New("bad dataset sidecar")
)
