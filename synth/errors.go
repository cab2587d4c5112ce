package synth

import "errors"

// Sentinel errors; wrapped with %w and a message that names the offending value.
var (
	// ErrConfig reports an invalid Config (size, speed, counts).
	ErrConfig = errors.New("synth: invalid config")
	// ErrSize reports a malformed size string (want WxH, e.g. 1024x512).
	ErrSize = errors.New("synth: bad size")
	// ErrImage reports an image file that cannot be read as the expected kind (8-bit GT PNG).
	ErrImage = errors.New("synth: bad image")
)
