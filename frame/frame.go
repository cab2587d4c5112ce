// Package frame holds the unit that flows through the metaood pipeline. It is a leaf:
// every other package may import it, it imports only the standard library.
package frame

import (
	"fmt"
	"time"
)

// Frame is one captured picture. Pix is packed BGR24 (OpenCV's native order), row-major,
// len(Pix) == 3*W*H. A frame is owned by exactly one stage at a time.
type Frame struct {
	Source   string    // source id, stable for the run ("cam0", "synth", a file's base name)
	Seq      uint64    // per-source sequence number, from 0, without gaps except drops
	Captured time.Time // when the source delivered it (wall clock)
	W, H     int
	Pix      []byte
}

// Validate reports a frame whose buffer does not match its size.
func (f *Frame) Validate() error {
	if f.W <= 0 || f.H <= 0 {
		return fmt.Errorf("frame %s/%d: bad size %dx%d", f.Source, f.Seq, f.W, f.H)
	}
	if len(f.Pix) != 3*f.W*f.H {
		return fmt.Errorf("frame %s/%d: %d bytes for %dx%d BGR24 (want %d)", f.Source, f.Seq, len(f.Pix), f.W, f.H, 3*f.W*f.H)
	}
	return nil
}
