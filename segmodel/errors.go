package segmodel

import "errors"

// Sentinel errors; messages wrap them with what was wrong and how to fix it.
var (
	// ErrShape means an image, frame or weight slice does not have the size its dimensions imply.
	ErrShape = errors.New("segmodel: size mismatch")
	// ErrModel means ONNX bytes are not a model this package built (missing or mis-sized weights).
	ErrModel = errors.New("segmodel: not a tiny model")
	// ErrConfig means a training or evaluation setting is out of range.
	ErrConfig = errors.New("segmodel: bad setting")
)
