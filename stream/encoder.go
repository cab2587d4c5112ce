package stream

// encoder is what a source needs from a video encoder; stream/vpx provides it under cgo.
type encoder interface {
	// Planes returns the I420 input planes to fill before Encode (Y stride W, U/V stride ⌈W/2⌉).
	Planes() (y, u, v []byte)
	// Encode compresses the picture in Planes; the frame is appended to out[:0].
	Encode(ptsMs int64, durMs int, forceKey bool, out []byte) (frame []byte, key bool, err error)
	// Close frees the encoder.
	Close()
}

// encoderSettings are what a source asks of newEncoder.
type encoderSettings struct {
	W, H, FPS, BitrateKbps int
}

// newEncoder builds a VP8 encoder; it is set by encoder_vpx.go (cgo) or encoder_nocgo.go.
// Tests may replace it.
var newEncoder = newVPXEncoder
