package synth

import (
	"bufio"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
)

// EncodeFramePNG writes a BGR24 frame (len 3·w·h) as an 8-bit RGB PNG.
func EncodeFramePNG(wr io.Writer, bgr []byte, w, h int) error {
	if w <= 0 || h <= 0 || len(bgr) != 3*w*h {
		return fmt.Errorf("%w: %d bytes for a %dx%d BGR24 frame (want %d)", ErrImage, len(bgr), w, h, 3*w*h)
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for p, q := 0, 0; p < len(bgr); p, q = p+3, q+4 {
		img.Pix[q], img.Pix[q+1], img.Pix[q+2], img.Pix[q+3] = bgr[p+2], bgr[p+1], bgr[p], 255
	}
	return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(wr, img)
}

// EncodeGTPNG writes ground-truth labels (len w·h) as an 8-bit grayscale PNG.
func EncodeGTPNG(wr io.Writer, gt []uint8, w, h int) error {
	if w <= 0 || h <= 0 || len(gt) != w*h {
		return fmt.Errorf("%w: %d labels for a %dx%d ground truth (want %d)", ErrImage, len(gt), w, h, w*h)
	}
	img := &image.Gray{Pix: gt, Stride: w, Rect: image.Rect(0, 0, w, h)}
	return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(wr, img)
}

// WriteFramePNG writes a BGR24 frame to path as PNG.
func WriteFramePNG(path string, bgr []byte, w, h int) error {
	return writeFile(path, func(wr io.Writer) error { return EncodeFramePNG(wr, bgr, w, h) })
}

// WriteGTPNG writes ground-truth labels to path as an 8-bit grayscale PNG.
func WriteGTPNG(path string, gt []uint8, w, h int) error {
	return writeFile(path, func(wr io.Writer) error { return EncodeGTPNG(wr, gt, w, h) })
}

func writeFile(path string, enc func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := enc(bw); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// DecodeGTPNG reads an 8-bit single-channel label PNG (gray, as EncodeGTPNG writes and
// Cityscapes' *_labelTrainIds.png are, or paletted: the index is the label) and returns
// its labels and size.
func DecodeGTPNG(rd io.Reader) (gt []uint8, w, h int, err error) {
	img, err := png.Decode(rd)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: %v", ErrImage, err)
	}
	var pix []uint8
	var stride int
	switch g := img.(type) {
	case *image.Gray:
		pix, stride = g.Pix, g.Stride
	case *image.Paletted: // some tools save label maps with a palette: the index is the label
		pix, stride = g.Pix, g.Stride
	default:
		return nil, 0, 0, fmt.Errorf("%w: %T is not an 8-bit single-channel label image (save labels as 8-bit gray PNG)", ErrImage, img)
	}
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	gt = make([]uint8, w*h)
	for y := 0; y < h; y++ {
		copy(gt[y*w:(y+1)*w], pix[y*stride:])
	}
	return gt, w, h, nil
}

// ReadGTPNG reads a label PNG from path; errors name the file.
func ReadGTPNG(path string) (gt []uint8, w, h int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	gt, w, h, err = DecodeGTPNG(bufio.NewReader(f))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	return gt, w, h, nil
}
