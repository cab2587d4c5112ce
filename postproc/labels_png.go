package postproc

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
)

// ErrLabelImage means a ground-truth image is not an 8-bit label image.
var ErrLabelImage = errors.New("not an 8-bit label image")

// ReadLabelPNG reads an 8-bit label image (grayscale, or paletted where the palette index is the
// label) and returns its pixels row-major with its width and height. Errors name the file.
func ReadLabelPNG(path string) (labels []uint8, w, h int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	labels = make([]uint8, w*h)
	switch m := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			copy(labels[y*w:(y+1)*w], m.Pix[y*m.Stride:y*m.Stride+w])
		}
	case *image.Paletted:
		for y := 0; y < h; y++ {
			copy(labels[y*w:(y+1)*w], m.Pix[y*m.Stride:y*m.Stride+w])
		}
	default:
		return nil, 0, 0, fmt.Errorf("%s: %w (got %T; want 8-bit grayscale or paletted train ids)", path, ErrLabelImage, img)
	}
	return labels, w, h, nil
}
