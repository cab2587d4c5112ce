package capture

import "errors"

// Sentinel errors; every error returned by this package wraps one of them (test with errors.Is).
var (
	// ErrSpec means a source spec could not be understood.
	ErrSpec = errors.New("bad source spec")
	// ErrOpen means a source could not be opened (missing file, absent camera, unreachable URL).
	ErrOpen = errors.New("cannot open source")
	// ErrCorrupt means a file opened but yields no decodable frame.
	ErrCorrupt = errors.New("no decodable frames")
	// ErrOptions means an Options field has a bad value.
	ErrOptions = errors.New("bad capture options")
)
