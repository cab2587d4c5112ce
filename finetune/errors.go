package finetune

import "errors"

// Sentinel errors; messages wrap them with what was wrong and how to fix it.
var (
	// ErrCut means the model has no trainable tail this package supports at the chosen cut.
	ErrCut = errors.New("finetune: unsupported cut point")
	// ErrShape means features, labels or weights do not have the sizes the tail implies.
	ErrShape = errors.New("finetune: size mismatch")
	// ErrConfig means a training setting is out of range.
	ErrConfig = errors.New("finetune: bad setting")
	// ErrData means a proxy, background or cache file is missing or unreadable.
	ErrData = errors.New("finetune: bad data")
)
