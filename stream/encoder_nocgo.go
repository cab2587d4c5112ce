//go:build !cgo

package stream

// newVPXEncoder reports that this binary has no VP8 encoder (built with CGO_ENABLED=0).
func newVPXEncoder(encoderSettings) (encoder, error) { return nil, ErrNoEncoder }
