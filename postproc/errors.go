package postproc

import "errors"

// Sentinel errors. Process wraps them with the detail (which pixel, which size) via %w.
var (
	// ErrShape means the input's sizes do not fit together (C, H, W against len(Data), Ignore, GT).
	ErrShape = errors.New("bad input shape")
	// ErrNotFinite means the input holds a NaN or an infinity.
	ErrNotFinite = errors.New("NaN or Inf in input")
	// ErrNotProbabilities means Data was declared probabilities but a pixel does not sum to 1 or has a negative value.
	ErrNotProbabilities = errors.New("input is not a probability map")
	// ErrOptions means an Options field is out of range.
	ErrOptions = errors.New("bad postproc options")
)
