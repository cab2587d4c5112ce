package metaclf

import "errors"

// Sentinel errors; callers test them with errors.Is. Messages wrap them with the detail.
var (
	// ErrFormat means the file is not a metaood meta classifier (wrong format tag, bad JSON, wrong version).
	ErrFormat = errors.New("not a metaood meta classifier file")
	// ErrShape means the arrays in the file do not fit together (layer sizes, mean/std lengths).
	ErrShape = errors.New("meta classifier arrays do not fit together")
	// ErrValue means a number in the file is NaN, infinite or out of range (std ≤ 0, threshold outside [0,1]).
	ErrValue = errors.New("bad value in meta classifier")
	// ErrFeatures means the classifier was trained on other features than the pipeline computes.
	ErrFeatures = errors.New("meta classifier features do not match the pipeline")
)

// Sentinels of CheckModel and CheckMapSize: the classifier was trained for another segmentation
// model or map size, or its file does not say what it was trained for.
var (
	ErrModelMismatch   = errors.New("meta classifier trained for another segmentation model")
	ErrMapSizeMismatch = errors.New("meta classifier trained at another map size")
	ErrNotRecorded     = errors.New("meta classifier does not record what it was trained for")
)
