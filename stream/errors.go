package stream

import "errors"

// Sentinel errors; callers match them with errors.Is.
var (
	// ErrConfig reports a bad setting in Config (address, viewers, bitrate, frame rate).
	ErrConfig = errors.New("stream: invalid config")
	// ErrPublic reports a non-loopback listen address without Config.AllowPublic, or
	// AllowPublic without a token.
	ErrPublic = errors.New("stream: refusing to listen beyond loopback")
	// ErrListen reports that the HTTP listener could not be opened.
	ErrListen = errors.New("stream: cannot listen")
	// ErrNoEncoder reports a binary built without cgo, hence without the VP8 encoder.
	ErrNoEncoder = errors.New("stream: built without the VP8 encoder (needs cgo and libvpx-dev)")
	// ErrFrame reports a published frame whose buffer does not match its size.
	ErrFrame = errors.New("stream: bad frame")
	// ErrOffer reports an SDP offer the server cannot answer with video (answered with 400).
	ErrOffer = errors.New("stream: unusable offer")
	// ErrClosed reports use of a server after Run returned or Close was called.
	ErrClosed = errors.New("stream: server closed")
)
