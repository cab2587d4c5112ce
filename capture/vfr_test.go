//go:build cgo

package capture

import (
	"path/filepath"
	"testing"

	"github.com/metaood/metaood/record"
	"github.com/metaood/metaood/stream/vpx"
)

// TestVideoVariableFrameRateIsComplete: a WebM recorded from a live source that dropped frames
// (every other frame here: 15 frames over 1 s at a declared 30 fps) reads to its end without
// being taken for a truncated file, although it holds fewer frames than its duration × rate.
func TestVideoVariableFrameRateIsComplete(t *testing.T) {
	const w, h = 64, 48
	path := filepath.Join(t.TempDir(), "vfr.webm")
	enc, err := vpx.New(vpx.Config{W: w, H: h, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	wr, err := record.CreateWebM(path, record.Track{W: w, H: h, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	var buf []byte
	for i := 0; i < 30; i += 2 {
		y, _, _ := enc.Planes()
		for j := range y {
			y[j] = byte(j + 8*i)
		}
		pts := int64(i) * 1000 / 30
		var key bool
		if buf, key, err = enc.Encode(int64(i/2)*33, 33, i == 0, buf); err != nil {
			t.Fatal(err)
		}
		if err := wr.Write(record.Packet{PTS: pts, Key: key, Data: buf}); err != nil {
			t.Fatal(err)
		}
	}
	if err := wr.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := Open(path, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := collect(t, src)
	if err != nil || len(frames) != 15 {
		t.Errorf("%d frames, err %v; want all 15 and no early end", len(frames), err)
	}
}
