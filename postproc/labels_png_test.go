package postproc

import (
	"bytes"
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
