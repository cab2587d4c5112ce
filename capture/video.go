package capture

import (
	"fmt"
	"io"
	"math"

	"gocv.io/x/gocv"

	"github.com/metaood/metaood/frame"
)

// videoSource replays a video file.
type videoSource struct {
	*base
	path       string
	fps        float64
	frameCount int // declared by the container; 0 if unknown
}

func newVideoSource(b *base, sp spec) (frame.Source, error) {
	s := &videoSource{base: b, path: sp.target}
	// Probe now, so that a bad file is reported when the command starts.
	vc, err := openFile(s.path)
	if err != nil {
		b.fail()
		return nil, err
	}
	defer vc.Close()
	m := gocv.NewMat()
	defer m.Close()
	if !vc.Read(&m) || m.Empty() {
		b.fail()
		return nil, fmt.Errorf("%w: video %s opens but no frame decodes (corrupt, truncated or a codec this OpenCV lacks); re-encode it, e.g. to H.264 .mp4", ErrCorrupt, s.path)
	}
	s.fps = vc.Get(gocv.VideoCaptureFPS)
	if !(s.fps > 0 && s.fps <= 1000) {
		s.fps = b.opts.FPS
	}
	if n := vc.Get(gocv.VideoCaptureFrameCount); n > 0 && n < math.MaxInt32 {
		s.frameCount = int(n)
	}
	b.log.Info("video opened", "path", s.path, "size", fmt.Sprintf("%dx%d", m.Cols(), m.Rows()), "fps", s.fps, "frames", s.frameCount, "mode", b.mode)
	return s, nil
}

// openFile opens a video with FFMPEG first (trying every backend on a bad file only adds noise
// from the GStreamer and image-sequence probes), then with any backend.
func openFile(path string) (*gocv.VideoCapture, error) {
	if err := checkVideoFile(path); err != nil { // a playlist would make FFmpeg read other files
		return nil, err
	}
	vc, err := gocv.VideoCaptureFileWithAPI(path, gocv.VideoCaptureFFmpeg)
	if checkOpened(vc, err) == nil {
		return vc, nil
	}
	vc, err = gocv.VideoCaptureFile(path)
	if checkOpened(vc, err) != nil {
		return nil, fmt.Errorf("%w: video %s: OpenCV cannot open it (not a video, or a container/codec its FFMPEG lacks)", ErrOpen, path)
	}
	return vc, nil
}

// FPS is the file's declared frame rate (Options.FPS when it declares none).
func (s *videoSource) FPS() float64 { return s.fps }

// Open starts reading the file from its beginning.
func (s *videoSource) Open() (frame.Stream, error) {
	vc, err := openFile(s.path)
	if err != nil {
		s.fail()
		return nil, err
	}
	return &videoStream{s: s, vc: vc, m: gocv.NewMat(), tmp: gocv.NewMat()}, nil
}

type videoStream struct {
	s      *videoSource
	vc     *gocv.VideoCapture
	m, tmp gocv.Mat
	n      int     // frames decoded
	lastMs float64 // the last decoded frame's time
}

func (v *videoStream) Describe() string {
	return fmt.Sprintf("video %s at %.3g fps", v.s.path, v.s.fps)
}

// Next decodes the next frame. A read failure before the declared frame count is an
// *frame.EndedEarly (truncated or corrupt file: what was read is kept), not a failure.
func (v *videoStream) Next() (*frame.Frame, error) {
	s := v.s
	for !s.limited() {
		if !v.vc.Read(&v.m) || v.m.Empty() {
			break
		}
		v.lastMs = v.vc.Get(gocv.VideoCapturePosMsec)
		f, err := s.fromMat(v.m, &v.tmp)
		if err != nil {
			s.fail()
			s.log.Warn("frame skipped", "index", v.n, "err", err)
			continue
		}
		v.n++
		return f, nil
	}
	switch {
	case v.n == 0 && !s.limited():
		s.fail()
		return nil, fmt.Errorf("%w: video %s: no frame decoded", ErrCorrupt, s.path)
	case !s.limited() && s.frameCount > 0 && v.n < s.frameCount-1 && !v.reachedEnd():
		// The container promised more: truncated or corrupt.
		s.fail()
		s.log.Warn("video ended early: truncated or corrupt", "read", v.n, "declared", s.frameCount, "unreadable", s.frameCount-v.n)
		return nil, &frame.EndedEarly{Why: fmt.Sprintf("truncated or corrupt: video %s ended after %d of %d frames (%d unreadable)",
			s.path, v.n, s.frameCount, s.frameCount-v.n)}
	}
	return nil, io.EOF
}

// reachedEnd reports that the last frame decoded is at the end of the container's duration (its
// declared frame count at its frame rate, within two frames): a variable-frame-rate file (a
// live recording with dropped frames) holds fewer frames than duration × rate and is complete.
func (v *videoStream) reachedEnd() bool {
	fps := v.s.fps
	return fps > 0 && v.lastMs >= (float64(v.s.frameCount)-2)*1000/fps
}

func (v *videoStream) Close() {
	v.vc.Close()
	v.m.Close()
	v.tmp.Close()
}
