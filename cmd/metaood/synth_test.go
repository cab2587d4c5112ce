package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/metaood/metaood/capture"
	"github.com/metaood/metaood/synth"
)

// TestSynthDriveVideo: `synth drive` writes its video through render, and capture reads it
// back with the frame count, size and rate asked for.
func TestSynthDriveVideo(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		video string
		fps   float64
		pngs  int
	}{
		{"default mp4 and PNGs", nil, "drive.mp4", 30, 5},
		{"avi at 12 fps, video only", []string{"--video", "d.avi", "--fps", "12", "--png=false"}, "d.avi", 12, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"--out", dir, "--frames", "5", "--size", "64x32"}, c.args...)
			if err := synthDrive(context.Background(), args); err != nil {
				t.Fatal(err)
			}
			src, err := capture.Open(filepath.Join(dir, c.video), capture.Options{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if fps := src.FPS(); fps != c.fps {
				t.Errorf("video at %v fps, want %v", fps, c.fps)
			}
			frames, err := capture.ReadAll(t.Context(), src, 0)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, f := range frames {
				if f.W != 64 || f.H != 32 {
					t.Errorf("frame %d is %dx%d, want 64x32", n, f.W, f.H)
				}
				n++
			}
			if n != 5 {
				t.Errorf("%s reads back %d frames, want 5", c.video, n)
			}
			pngs, _ := filepath.Glob(filepath.Join(dir, synth.FramesDir, "*.png"))
			if len(pngs) != c.pngs {
				t.Errorf("%d frame PNGs, want %d", len(pngs), c.pngs)
			}
		})
	}
}

// Without a video writer (openVideo nil) the drive is PNGs only; asking for a video is an error.
func TestSynthDriveNoWriter(t *testing.T) {
	saved := openVideo
	openVideo = nil
	defer func() { openVideo = saved }()
	dir := t.TempDir()
	if err := synthDrive(context.Background(), []string{"--out", dir, "--frames", "2", "--size", "64x32"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "drive.mp4")); !os.IsNotExist(err) {
		t.Errorf("drive.mp4 without a writer: %v", err)
	}
	if err := synthDrive(context.Background(), []string{"--out", dir, "--frames", "2", "--size", "64x32", "--video", "x.mp4"}); err == nil {
		t.Error("--video without a writer: no error")
	}
}
