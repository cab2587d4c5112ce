package capture

import (
	"sync"

	"github.com/metaood/metaood/frame"
)

// Frame buffers are pooled by exact size (a run has one or a few frame sizes).
var bufPools sync.Map // int → *sync.Pool of *[]byte

func getBuf(n int) []byte {
	if p, ok := bufPools.Load(n); ok {
		if b, ok := p.(*sync.Pool).Get().(*[]byte); ok {
			return (*b)[:n]
		}
	}
	return make([]byte, n)
}

// Recycle returns a frame's pixel buffer to the capture pool. Call it when the last stage is
// done with the frame (optional: an unrecycled frame is simply garbage collected); f.Pix is
// nil afterwards and the frame must not be used.
func Recycle(f *frame.Frame) {
	if f == nil || cap(f.Pix) == 0 {
		return
	}
	b := f.Pix[:cap(f.Pix)]
	f.Pix = nil
	p, _ := bufPools.LoadOrStore(len(b), &sync.Pool{})
	p.(*sync.Pool).Put(&b)
}
