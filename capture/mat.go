package capture

import (
	"fmt"

	"gocv.io/x/gocv"

	"github.com/metaood/metaood/frame"
)

// fromMat copies an 8-bit image Mat (BGR, gray or BGRA) into a new pooled BGR24 frame. tmp is
// scratch for colour conversion, owned by the caller. The Mat's memory dies with it, hence the copy.
func (b *base) fromMat(m gocv.Mat, tmp *gocv.Mat) (*frame.Frame, error) {
	if m.Empty() {
		return nil, fmt.Errorf("empty image")
	}
	src := m
	switch m.Type() {
	case gocv.MatTypeCV8UC3:
	case gocv.MatTypeCV8UC1:
		gocv.CvtColor(m, tmp, gocv.ColorGrayToBGR)
		src = *tmp
	case gocv.MatTypeCV8UC4:
		gocv.CvtColor(m, tmp, gocv.ColorBGRAToBGR)
		src = *tmp
	default:
		return nil, fmt.Errorf("unsupported pixel type %v (want 8-bit gray, BGR or BGRA)", m.Type())
	}
	if !src.IsContinuous() {
		src.CopyTo(tmp) // a copy is continuous
		src = *tmp
	}
	w, h := src.Cols(), src.Rows()
	pix, err := src.DataPtrUint8()
	if err != nil || len(pix) < 3*w*h {
		return nil, fmt.Errorf("cannot read %dx%d pixels: %v", w, h, err)
	}
	f := b.newFrame(w, h)
	copy(f.Pix, pix)
	return f, nil
}
