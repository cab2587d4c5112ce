package synth

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteDrive(t *testing.T) {
	dir := t.TempDir()
	cfg := small(2)
	var sunk [][]byte
	sink := func(bgr []byte) error { sunk = append(sunk, bytes.Clone(bgr)); return nil }
	if err := WriteDrive(context.Background(), dir, cfg, 5, 3, true, sink); err != nil {
		t.Fatal(err)
	}
	if len(sunk) != 3 {
		t.Fatalf("sink got %d frames, want 3", len(sunk))
	}
	want, wantGT := render(t, cfg, 6)
	if !bytes.Equal(sunk[1], want) {
		t.Error("second sunk frame is not frame 6")
	}
	gt, w, h, err := ReadGTPNG(filepath.Join(dir, GTDir, FrameName(6)))
	if err != nil || w != cfg.W || h != cfg.H || !bytes.Equal(gt, wantGT) {
		t.Fatalf("gt/%s: %v %dx%d equal=%v", FrameName(6), err, w, h, bytes.Equal(gt, wantGT))
	}
	if _, err := os.Stat(filepath.Join(dir, FramesDir, FrameName(7))); err != nil {
		t.Error(err)
	}
	// A failing sink stops the drive and names the frame.
	boom := errors.New("disk full")
	err = WriteDrive(context.Background(), t.TempDir(), cfg, 0, 3, false, func([]byte) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("sink error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WriteDrive(ctx, t.TempDir(), cfg, 0, 3, true, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if err := WriteDrive(context.Background(), t.TempDir(), cfg, 0, 0, true, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("0 frames: %v", err)
	}
}

func TestWriteProxies(t *testing.T) {
	dir := t.TempDir()
	if err := WriteProxies(context.Background(), dir, 3, 128, 64, 2, 0.1, 0.6); err != nil {
		t.Fatal(err)
	}
	for k := range 2 {
		gt, _, _, err := ReadGTPNG(filepath.Join(dir, GTDir, FrameName(k)))
		if err != nil {
			t.Fatal(err)
		}
		if s := float64(countLabel(gt, Anomaly)) / float64(len(gt)); s < 0.05 || s > 0.65 {
			t.Errorf("image %d: share %.2f outside [0.1, 0.6] ± 0.05", k, s)
		}
	}
	for _, bad := range []struct {
		w, n        int
		share, smax float64
	}{{16, 1, 0.2, 0}, {128, 0, 0.2, 0}, {128, 1, 1.5, 0}, {128, 1, 0.2, 2}} {
		if err := WriteProxies(context.Background(), t.TempDir(), 1, bad.w, 64, bad.n, bad.share, bad.smax); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
