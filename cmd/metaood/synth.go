package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/metaood/metaood/render"
	"github.com/metaood/metaood/synth"
)

// videoWriter is what `synth drive` needs from a video file writer: BGR24 frames in order.
type videoWriter interface {
	Write(bgr []byte) error
	Close() error
}

// openVideo opens a video file for w×h BGR24 frames at fps: render's OpenCV writer (the
// extension picks the codec: .mp4 mp4v, .avi/.mkv MJPG, .webm VP8). synth itself stays pure
// Go; nil (tests) means no video writer, and `synth drive` then writes PNGs only.
var openVideo = func(path string, w, h int, fps float64) (videoWriter, error) {
	v, err := render.CreateVideo(path, fps, w, h)
	if err != nil {
		return nil, err
	}
	return renderVideo{v, w, h}, nil
}

// renderVideo adapts render.VideoWriter (frames of one size) to videoWriter.
type renderVideo struct {
	v    *render.VideoWriter
	w, h int
}

func (r renderVideo) Write(bgr []byte) error { return r.v.Write(bgr, r.w, r.h) }
func (r renderVideo) Close() error           { return r.v.Close() }

// synthCommands are the subcommands of `metaood synth`.
var synthCommands = []command{
	{"drive", "a synthetic dashcam drive: frames (PNG), ground truth (PNG: train ids, 254 anomaly, 255 ignore), video", synthDrive},
	{"proxy", "proxy-anomaly training images: scenes with pasted objects (254 in the ground truth)", synthProxy},
	{"model", "retrain the tiny segmentation model on synthetic drives", cmdSynthModel},
}

// cmdSynth dispatches `metaood synth <sub> …`.
func cmdSynth(ctx context.Context, args []string) error {
	return dispatchSub(ctx, "synth", synthCommands, args)
}

func synthDrive(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("synth drive", pflag.ContinueOnError)
	out := fs.String("out", "out/synth", "output folder: frames/NNNNNN.png, gt/NNNNNN.png and the video")
	n := fs.Int("frames", 300, "number of frames")
	start := fs.Int("start", 0, "index of the first frame (frames are random access)")
	seed := fs.Int64("seed", 1, "drive seed: same seed and size give the same frames")
	size := fs.String("size", "1024x512", "frame size WxH")
	anomalies := fs.Bool("anomalies", true, "moving anomalies on the road (--anomalies=false for none)")
	maxAnom := fs.Int("max-anomalies", 3, "at most this many anomalies at a time (1..3)")
	video := fs.String("video", "drive.mp4", "video file name inside --out (or a path; .mp4, .avi, .mkv, .webm); empty for none")
	fps := fs.Float64("fps", 30, "video frame rate")
	pngs := fs.Bool("png", true, "write frames/ and gt/ PNGs (--png=false for the video only)")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: metaood synth drive [flags]\n\nWrites a deterministic synthetic dashcam drive with ground truth.\n\nFlags:")
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	w, h, err := synth.ParseSize(*size)
	if err != nil {
		return fmt.Errorf("%w: --size: %v", errUsage, err)
	}
	switch {
	case *n < 1:
		return fmt.Errorf("%w: --frames %d: want at least 1", errUsage, *n)
	case *start < 0:
		return fmt.Errorf("%w: --start %d: want 0 or more", errUsage, *start)
	case *maxAnom < 1 || *maxAnom > 3:
		return fmt.Errorf("%w: --max-anomalies %d: want 1..3", errUsage, *maxAnom)
	case !(*fps > 0 && *fps <= 240):
		return fmt.Errorf("%w: --fps %g: want 0 < fps ≤ 240", errUsage, *fps)
	case !*pngs && *video == "":
		return fmt.Errorf("%w: --png=false and --video '' leave nothing to write", errUsage)
	}
	cfg := synth.Config{W: w, H: h, Seed: *seed, Anomalies: *anomalies, MaxAnomalies: *maxAnom}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w (choose a writable folder)", *out, err)
	}
	var vw videoWriter
	videoPath := ""
	if *video != "" {
		videoPath = *video
		if !filepath.IsAbs(videoPath) && filepath.Dir(videoPath) == "." {
			videoPath = filepath.Join(*out, videoPath)
		}
		switch {
		case openVideo != nil:
			if vw, err = openVideo(videoPath, w, h, *fps); err != nil {
				return fmt.Errorf("--video %s: %w", videoPath, err)
			}
		case fs.Changed("video"):
			return fmt.Errorf("--video %s: this build has no video writer (omit --video to write PNGs only)", videoPath)
		default:
			videoPath = "" // PNGs only
		}
	}
	if !*pngs && vw == nil {
		return fmt.Errorf("%w: --png=false needs a video, and this build has no video writer", errUsage)
	}
	var sink func([]byte) error
	if vw != nil {
		sink = vw.Write
	}
	err = synth.WriteDrive(ctx, *out, cfg, *start, *n, *pngs, sink)
	if vw != nil {
		if cerr := vw.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("--video %s: %w", videoPath, cerr)
		}
	}
	if err != nil {
		return fmt.Errorf("synth drive into --out %s: %w", *out, err)
	}
	if *pngs {
		fmt.Printf("wrote frames %d..%d (%dx%d, seed %d) to %s, ground truth to %s\n", *start, *start+*n-1, w, h, *seed,
			filepath.Join(*out, synth.FramesDir), filepath.Join(*out, synth.GTDir))
	}
	switch {
	case videoPath != "":
		fmt.Printf("wrote video %s (%g fps)\n", videoPath, *fps)
	case *video != "":
		fmt.Println("no video written: this build has no video writer")
	}
	return nil
}

func synthProxy(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("synth proxy", pflag.ContinueOnError)
	out := fs.String("out", "out/proxy", "output folder: frames/NNNNNN.png and gt/NNNNNN.png (254 = pasted)")
	n := fs.Int("count", 100, "number of images")
	seed := fs.Int64("seed", 1, "seed: same seed, size and share give the same images")
	size := fs.String("size", "1024x512", "image size WxH")
	share := fs.Float64("share", 0.2, "share of pasted (anomaly) pixels per image, 0..1")
	shareMax := fs.Float64("share-max", 0, "if above --share: each image's share is drawn uniformly from [share, share-max]")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: metaood synth proxy [flags]\n\nWrites proxy-anomaly training images (scenes with pasted objects) and their labels.\n\nFlags:")
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	w, h, err := synth.ParseSize(*size)
	if err != nil {
		return fmt.Errorf("%w: --size: %v", errUsage, err)
	}
	switch {
	case *n < 1:
		return fmt.Errorf("%w: --count %d: want at least 1", errUsage, *n)
	case !(*share >= 0 && *share <= 1):
		return fmt.Errorf("%w: --share %g: want 0..1", errUsage, *share)
	case *shareMax != 0 && !(*shareMax >= *share && *shareMax <= 1):
		return fmt.Errorf("%w: --share-max %g: want between --share (%g) and 1", errUsage, *shareMax, *share)
	}
	if err := synth.WriteProxies(ctx, *out, *seed, w, h, *n, *share, *shareMax); err != nil {
		return fmt.Errorf("--out %s: %w", *out, err)
	}
	fmt.Printf("wrote %d proxy images %dx%d (share %g", *n, w, h, *share)
	if *shareMax > *share {
		fmt.Printf("..%g", *shareMax)
	}
	fmt.Printf(") to %s, labels (254 = pasted) to %s\n", filepath.Join(*out, synth.FramesDir), filepath.Join(*out, synth.GTDir))
	return nil
}
