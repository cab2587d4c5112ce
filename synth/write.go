package synth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Dataset layout written by WriteDrive and WriteProxies: dir/frames/NNNNNN.png (RGB) and
// dir/gt/NNNNNN.png (8-bit labels) with matching names.
const (
	FramesDir = "frames"
	GTDir     = "gt"
)

// FrameName is the file name of frame (or image) i in a dataset folder.
func FrameName(i int) string { return fmt.Sprintf("%06d.png", i) }

// WriteDrive renders frames start..start+n-1 of the drive cfg. With pngs it writes them
// under dir (FramesDir, GTDir, named by frame index); each frame's BGR pixels also go to
// sink when it is non-nil (a video writer). It stops early when ctx is cancelled.
func WriteDrive(ctx context.Context, dir string, cfg Config, start, n int, pngs bool, sink func(bgr []byte) error) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if n < 1 || start < 0 {
		return fmt.Errorf("%w: %d frames from %d (want at least 1 frame, start ≥ 0)", ErrConfig, n, start)
	}
	fd, gd, err := mkDataset(dir, pngs)
	if err != nil {
		return err
	}
	d := NewDrive(cfg)
	w, h := cfg.W, cfg.H
	bgr, gt := make([]byte, 3*w*h), make([]uint8, w*h)
	for i := start; i < start+n; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		d.Frame(i, bgr, gt)
		if pngs {
			if err := WriteFramePNG(filepath.Join(fd, FrameName(i)), bgr, w, h); err != nil {
				return err
			}
			if err := WriteGTPNG(filepath.Join(gd, FrameName(i)), gt, w, h); err != nil {
				return err
			}
		}
		if sink != nil {
			if err := sink(bgr); err != nil {
				return fmt.Errorf("frame %d: %w", i, err)
			}
		}
	}
	return nil
}

// ProxySeed is the seed of proxy image k of a set made with seed: sets with different
// seeds do not share images.
func ProxySeed(seed int64, k int) int64 { return seed*1_000_003 + int64(k) }

// WriteProxies writes n proxy-anomaly images and their labels (254 = pasted) under dir.
// Image k has seed ProxySeed(seed, k); its share is drawn uniformly from [share,
// shareMax] (shareMax ≤ share: exactly share) by a hash of that seed.
func WriteProxies(ctx context.Context, dir string, seed int64, w, h, n int, share, shareMax float64) error {
	switch {
	case w < 32 || h < 32 || w > 8192 || h > 8192:
		return fmt.Errorf("%w: size %dx%d out of range (32..8192 each side)", ErrConfig, w, h)
	case n < 1:
		return fmt.Errorf("%w: %d images (want at least 1)", ErrConfig, n)
	case !(share >= 0 && share <= 1):
		return fmt.Errorf("%w: share %g (want 0..1)", ErrConfig, share)
	case shareMax > 1 || shareMax != shareMax:
		return fmt.Errorf("%w: share max %g (want share..1)", ErrConfig, shareMax)
	}
	fd, gd, err := mkDataset(dir, true)
	if err != nil {
		return err
	}
	bgr, gt := make([]byte, 3*w*h), make([]uint8, w*h)
	for k := range n {
		if err := ctx.Err(); err != nil {
			return err
		}
		s := ProxySeed(seed, k)
		sh := share
		if shareMax > share {
			r := newRNG(s, tagProxy, -1)
			sh = r.rangef(share, shareMax)
		}
		Proxy(s, w, h, sh, bgr, gt)
		if err := WriteFramePNG(filepath.Join(fd, FrameName(k)), bgr, w, h); err != nil {
			return err
		}
		if err := WriteGTPNG(filepath.Join(gd, FrameName(k)), gt, w, h); err != nil {
			return err
		}
	}
	return nil
}

// mkDataset creates dir (and its frames and gt folders when pngs).
func mkDataset(dir string, pngs bool) (frames, gt string, err error) {
	frames, gt = filepath.Join(dir, FramesDir), filepath.Join(dir, GTDir)
	mk := []string{dir}
	if pngs {
		mk = []string{frames, gt}
	}
	for _, p := range mk {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return "", "", fmt.Errorf("output folder %s: %w (choose a writable folder)", dir, err)
		}
	}
	return frames, gt, nil
}
