package record

import "errors"

// Sentinel errors; callers match them with errors.Is.
var (
	// ErrWebM reports a WebM file that cannot be created, written or finalized.
	ErrWebM = errors.New("webm output failed")
	// ErrOptions reports recorder settings that do not make sense (a negative duration, no folder).
	ErrOptions = errors.New("bad recorder options")
)
