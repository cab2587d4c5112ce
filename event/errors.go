package event

import "errors"

// ErrCorridor reports a drive-corridor polygon that cannot be used (too few points, values outside [0,1], bad text).
var ErrCorridor = errors.New("bad polygon")

// ErrTracker reports emergency-tracker settings that cannot work (k > n, n < 1, negative area).
var ErrTracker = errors.New("bad emergency tracker settings")

// ErrTypes reports an event type list with an unknown name, or none.
var ErrTypes = errors.New("bad event type")
