//go:build cgo

package stream

import "github.com/metaood/metaood/stream/vpx"

// newVPXEncoder returns a libvpx VP8 encoder tuned for live latency (see stream/vpx).
func newVPXEncoder(s encoderSettings) (encoder, error) {
	return vpx.New(vpx.Config{W: s.W, H: s.H, FPS: s.FPS, BitrateKbps: s.BitrateKbps})
}
