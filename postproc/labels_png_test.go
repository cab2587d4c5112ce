package postproc

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// pngHeaderOnly is a PNG whose IHDR declares w×h at the given bit depth and colour type, with a
// truncated IDAT: tiny on disk, and a decoder that trusts the header allocates the whole image.
func pngHeaderOnly(w, h uint32, depth, colorType byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		b.WriteString(typ)
		b.Write(data)
		_ = binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = depth, colorType
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c}) // a zlib header and nothing more
	return b.Bytes()
}

// TestReadLabelPNGBomb: a label PNG whose header declares too many pixels, or pixels that are not
// 8-bit labels, is refused from its header, before the decoder allocates the image.
func TestReadLabelPNGBomb(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name             string
		w, h             uint32
		depth, colorType byte
		want             error
	}{
		{"huge gray", 12000, 12000, 8, 0, ErrLabelTooLarge},
		{"16-bit RGBA", 4000, 4000, 16, 6, ErrLabelImage},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".png")
			if err := os.WriteFile(path, pngHeaderOnly(c.w, c.h, c.depth, c.colorType), 0o644); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, _, err := ReadLabelPNG(path)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("err = %v, want %v naming the file", err, c.want)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
				t.Errorf("allocated %d MiB before refusing the file", got>>20)
			}
		})
	}
}

// TestReadLabelPNGLowBitDepth: a 1-bit grayscale mask would read as 0/255 (Go scales gray to 8
// bits): refused, naming the bit depth.
func TestReadLabelPNGLowBitDepth(t *testing.T) {
	// A 2×1 1-bit gray PNG (pixels 0 and 1), written by hand: Go's encoder writes 8 bits only.
	var b bytes.Buffer
	b.Write([]byte("\x89PNG\r\n\x1a\n"))
	chunk := func(typ string, data []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		b.Write(n[:])
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.BigEndian.PutUint32(n[:], crc.Sum32())
		b.Write(n[:])
	}
	chunk("IHDR", []byte{0, 0, 0, 2, 0, 0, 0, 1, 1, 0, 0, 0, 0}) // 2×1, depth 1, gray
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte{0, 0x40}) // filter 0, pixels 0 1
	zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	path := filepath.Join(t.TempDir(), "mask.png")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := ReadLabelPNG(path); !errors.Is(err, ErrLabelImage) || !strings.Contains(err.Error(), "1-bit") {
		t.Errorf("1-bit gray: %v, want ErrLabelImage naming the bit depth", err)
	}
}

// FuzzReadLabelPNG: any bytes as a --gt file: an error or labels of the declared size, never a
// panic or a huge allocation.
func FuzzReadLabelPNG(f *testing.F) {
	f.Add(pngHeaderOnly(4, 4, 8, 0))
	f.Add(pngHeaderOnly(1<<15, 1<<15, 8, 0))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "gt.png")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		labels, w, h, err := ReadLabelPNG(path)
		if err == nil && (len(labels) != w*h || w*h > MaxLabelPixels) {
			t.Fatalf("%dx%d with %d labels", w, h, len(labels))
		}
	})
}
