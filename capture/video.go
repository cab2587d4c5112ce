package capture

import (
	"context"
	"fmt"
	"math"

	"gocv.io/x/gocv"

	"github.com/metaood/metaood/frame"
)

// videoSource replays a video file, as fast as possible or at the file's frame rate.
type videoSource struct {
	*base
	path       string
	fps        float64
	frameCount int // declared by the container; 0 if unknown
}

func newVideoSource(b *base, sp spec) (Source, error) {
	s := &videoSource{base: b, path: sp.target}
	s.live = b.opts.Realtime
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
	b.log.Info("video opened", "path", s.path, "size", fmt.Sprintf("%dx%d", m.Cols(), m.Rows()), "fps", s.fps, "frames", s.frameCount, "realtime", s.live)
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

// Stats returns the source's counters.
func (s *videoSource) Stats() Stats { return s.counters.Stats() }

// FPS is the file's declared frame rate (Options.FPS when it declares none).
func (s *videoSource) FPS() float64 { return s.fps }

// Run replays the file. A read failure before the declared frame count ends the stream with a
// warning (truncated or corrupt file) rather than an error.
func (s *videoSource) Run(ctx context.Context, out chan<- *frame.Frame) error {
	vc, err := openFile(s.path)
	if err != nil {
		s.fail()
		return err
	}
	defer vc.Close()
	m := gocv.NewMat()
	defer m.Close()
	tmp := gocv.NewMat()
	defer tmp.Close()
	em := s.startEmit(ctx, out)
	defer em.finish()
	s.up(true)
	defer s.up(false)
	s.state(StateOpened, fmt.Sprintf("video %s at %.3g fps", s.path, s.fps))
	var pace *pacer
	if s.opts.Realtime {
		pace = newPacer(s.fps)
	}
	n := 0
	for !s.limited() {
		if pace != nil && !pace.wait(ctx) {
			break
		}
		if !vc.Read(&m) || m.Empty() {
			break
		}
		f, err := s.fromMat(m, &tmp)
		if err != nil {
			s.fail()
			s.log.Warn("frame skipped", "index", n, "err", err)
			continue
		}
		n++
		if !em.emit(ctx, f) {
			break
		}
	}
	switch {
	case ctx.Err() != nil:
		s.state(StateEnded, fmt.Sprintf("stopped after %s", plural(n, "frame")))
	case n == 0:
		s.fail()
		s.state(StateEnded, "no frame decoded")
		return fmt.Errorf("%w: video %s: no frame decoded", ErrCorrupt, s.path)
	case !s.limited() && s.frameCount > 0 && n < s.frameCount-1:
		// The container promised more: truncated or corrupt. Not fatal: what was read was used.
		s.fail()
		detail := fmt.Sprintf("truncated or corrupt: video %s ended after %d of %d frames (%d unreadable)",
			s.path, n, s.frameCount, s.frameCount-n)
		s.early.Store(&detail)
		s.log.Warn("video ended early: truncated or corrupt", "read", n, "declared", s.frameCount, "unreadable", s.frameCount-n)
		s.state(StateEnded, detail)
	default:
		s.state(StateEnded, fmt.Sprintf("end of video after %s", plural(n, "frame")))
	}
	return nil
}
