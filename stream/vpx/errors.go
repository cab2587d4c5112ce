package vpx

import "errors"

// Sentinel errors; callers match them with errors.Is.
var (
	// ErrConfig reports an invalid encoder setting (size, frame rate, bitrate).
	ErrConfig = errors.New("vpx: invalid encoder config")
	// ErrCodec reports a failure inside libvpx (init or encode).
	ErrCodec = errors.New("vpx: libvpx error")
	// ErrClosed reports use of an encoder after Close.
	ErrClosed = errors.New("vpx: encoder closed")
)
