// Package render draws metaood's annotated frames (entropy heat map, anomaly boxes with their
// meta-classifier probability, drive corridor, emergency banner, fps and latency) and writes them
// to video files. It is the only place the pipeline's outputs touch gocv; every Mat stays inside.
package render

import (
	"image"
	"time"
)

// Box is one anomaly component in frame pixels.
type Box struct {
	ID         int
	Rect       image.Rectangle
	PFP        float64 // P(false positive) from the meta classifier
	Kept       bool    // false: the meta classifier removed it (drawn faint)
	InCorridor bool
}

// Scene is everything drawn on one frame.
type Scene struct {
	W, H       int
	Pix        []byte    // W×H BGR24, read only
	Entropy    []float32 // MapW×MapH normalized entropy in [0,1]; nil draws no heat map
	MapW, MapH int
	Boxes      []Box
	Corridor   []image.Point // frame pixels; nil draws none
	Emergency  bool
	Label      string // e.g. "synth #123"
	FPS        float64
	Latency    time.Duration
	Err        string // per-frame error, shown instead of the heat map
}

func (s *Scene) check() error {
	if s.W <= 0 || s.H <= 0 || len(s.Pix) != 3*s.W*s.H {
		return errorf(ErrScene, "frame %dx%d with %d bytes (want %d BGR bytes)", s.W, s.H, len(s.Pix), 3*s.W*s.H)
	}
	if s.Entropy != nil && (s.MapW <= 0 || s.MapH <= 0 || len(s.Entropy) != s.MapW*s.MapH) {
		return errorf(ErrScene, "entropy map %dx%d with %d values", s.MapW, s.MapH, len(s.Entropy))
	}
	return nil
}
