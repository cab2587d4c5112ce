package postproc

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
)

// ErrLabelImage means a ground-truth image is not an 8-bit label image.
var ErrLabelImage = errors.New("not an 8-bit label image")

// ErrLabelTooLarge means a ground-truth image declares more than MaxLabelPixels pixels.
var ErrLabelTooLarge = errors.New("label image too large")

// MaxLabelPixels bounds a label image read by ReadLabelPNG (8192×8192): a PNG's header may
// declare any size, and a small file of zeros could otherwise make the decoder allocate gigabytes.
const MaxLabelPixels = 1 << 26

// ReadLabelPNG reads an 8-bit label image (grayscale, or paletted where the palette index is the
// label) and returns its pixels row-major with its width and height. Errors name the file.
func ReadLabelPNG(path string) (labels []uint8, w, h int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	// The header first: refuse sizes and pixel formats a label map cannot have before the
	// decoder allocates the image.
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxLabelPixels {
		return nil, 0, 0, fmt.Errorf("%s: %w: %dx%d is more than %d pixels", path, ErrLabelTooLarge, cfg.Width, cfg.Height, MaxLabelPixels)
	}
	if _, paletted := cfg.ColorModel.(color.Palette); !paletted && cfg.ColorModel != color.GrayModel {
		return nil, 0, 0, fmt.Errorf("%s: %w (want 8-bit grayscale or paletted train ids)", path, ErrLabelImage)
	}
	// Go scales gray below 8 bits to 0..255 (a 1-bit mask reads as 0/255): the labels would be
	// wrong without a word. IHDR: bit depth at byte 24, colour type (0 = gray) at 25.
	var ihdr [26]byte
	if _, err := f.ReadAt(ihdr[:], 0); err == nil && ihdr[25] == 0 && ihdr[24] != 8 {
		return nil, 0, 0, fmt.Errorf("%s: %w: %d-bit grayscale (want 8-bit train ids; re-save it as 8-bit)", path, ErrLabelImage, ihdr[24])
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, 0, 0, fmt.Errorf("%s: %w", path, err)
	}
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
