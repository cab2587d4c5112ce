package oodeval

import "errors"

// Sentinel errors. Messages wrap them with the file, folder or value at fault and the fix.
var (
	// ErrLayout means a dataset folder is not in SegmentMeIfYouCan layout (images/ and labels/ with images).
	ErrLayout = errors.New("not a dataset folder")
	// ErrNoLabel means an image has no label file labels/<stem>.png.
	ErrNoLabel = errors.New("missing label file")
	// ErrLabelValue means a label image holds a value other than 0 (known), 1 (anomaly) or 255 (void).
	ErrLabelValue = errors.New("unexpected label value")
	// ErrLabelSize means a label image's size differs from its image's.
	ErrLabelSize = errors.New("label size does not match the image")
	// ErrImage means an image cannot be read or decoded.
	ErrImage = errors.New("unreadable image")
	// ErrInput means a frame's maps do not fit together (sizes, NaN scores, component numbers).
	ErrInput = errors.New("bad frame input")
	// ErrInterrupted means the evaluation stopped before all frames were done; results cover those done.
	ErrInterrupted = errors.New("interrupted")
)
