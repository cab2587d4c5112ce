package finetune

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// Cache keeps the frozen network's features of each training image on disk as bfloat16 (half
// the bytes of float32; 8 significant bits are plenty for features that feed training), with the
// image's labels at feature resolution. Disk, not memory: training reads one image at a time,
// so memory stays bounded whatever the image count, and an interrupted run keeps what it
// extracted.
type Cache struct {
	Dir string
}

var cacheMagic = [8]byte{'M', 'O', 'O', 'D', 'F', 'T', 'C', '1'}

func (c *Cache) path(key string) string { return filepath.Join(c.Dir, key+".bf16") }

// Has reports whether key is cached.
func (c *Cache) Has(key string) bool {
	_, err := os.Stat(c.path(key))
	return err == nil
}

// Put stores features (ch×h×w) and labels (h×w) under key; the file appears whole or not at all.
func (c *Cache) Put(key string, feat []float32, ch, h, w int, labels []uint8) error {
	if len(feat) != ch*h*w || len(labels) != h*w {
		return fmt.Errorf("%w: cache %s: %d features and %d labels for %dx%dx%d", ErrShape, key, len(feat), len(labels), ch, h, w)
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("feature cache: %w", err)
	}
	buf := make([]byte, 8+12+2*len(feat)+len(labels))
	copy(buf, cacheMagic[:])
	binary.LittleEndian.PutUint32(buf[8:], uint32(ch))
	binary.LittleEndian.PutUint32(buf[12:], uint32(h))
	binary.LittleEndian.PutUint32(buf[16:], uint32(w))
	o := 20
	for _, v := range feat {
		binary.LittleEndian.PutUint16(buf[o:], toBF16(v))
		o += 2
	}
	copy(buf[o:], labels)
	tmp := c.path(key) + ".tmp"
	if err := os.WriteFile(tmp, buf, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("feature cache: %w", err)
	}
	return os.Rename(tmp, c.path(key))
}

// Load reads key's features into dst (grown as needed) and returns them with the labels.
func (c *Cache) Load(key string, dst []float32) (feat []float32, labels []uint8, ch, h, w int, err error) {
	f, err := os.Open(c.path(key))
	if err != nil {
		return nil, nil, 0, 0, 0, fmt.Errorf("%w: feature cache: %v", ErrData, err)
	}
	defer f.Close()
	var hdr [20]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil || [8]byte(hdr[:8]) != cacheMagic {
		return nil, nil, 0, 0, 0, fmt.Errorf("%w: %s is not a feature cache file; delete it", ErrData, c.path(key))
	}
	ch, h, w = int(binary.LittleEndian.Uint32(hdr[8:])), int(binary.LittleEndian.Uint32(hdr[12:])), int(binary.LittleEndian.Uint32(hdr[16:]))
	n := ch * h * w
	raw := make([]byte, 2*n+h*w)
	if _, err := io.ReadFull(f, raw); err != nil {
		return nil, nil, 0, 0, 0, fmt.Errorf("%w: %s is truncated; delete it", ErrData, c.path(key))
	}
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	feat = dst[:n]
	for i := range feat {
		feat[i] = fromBF16(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	return feat, raw[2*n:], ch, h, w, nil
}

// toBF16 rounds a float32 to bfloat16 (round to nearest even).
func toBF16(v float32) uint16 {
	b := math.Float32bits(v)
	if v != v {
		return 0x7fc0
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

func fromBF16(u uint16) float32 { return math.Float32frombits(uint32(u) << 16) }
