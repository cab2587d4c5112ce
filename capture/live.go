package capture

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync/atomic"

	"gocv.io/x/gocv"

	"github.com/metaood/metaood/frame"
)

// liveSource is a camera, URL or GStreamer pipeline (frame.Device: the pipeline reopens it
// with backoff when it is lost).
type liveSource struct {
	*base
	fps  atomic.Uint64             // float64 bits, set on open
	what string                    // for messages: "camera 0", "URL rtsp://host/x", "GStreamer pipeline"
	open func() (*cvDevice, error) // connects; may block (network)
}

func newLiveSource(b *base, sp spec) (frame.Source, error) {
	s := &liveSource{base: b}
	switch sp.kind {
	case kindCamera:
		w, h, err := sizeParam(sp.params, "size", 0, 0)
		if err != nil {
			return nil, err
		}
		fps, err := floatParam(sp.params, "fps", 0, 1000)
		if err != nil {
			return nil, err
		}
		s.what = "camera " + sp.target
		s.open = func() (*cvDevice, error) {
			var vc *gocv.VideoCapture
			var err error
			if sp.device >= 0 {
				vc, err = gocv.VideoCaptureDevice(sp.device)
			} else {
				vc, err = gocv.VideoCaptureFileWithAPI(sp.target, gocv.VideoCaptureV4L2)
			}
			if err := checkOpened(vc, err); err != nil {
				return nil, fmt.Errorf("%w: %s: not found or busy (check the index or /dev/video path, and permissions)", ErrOpen, s.what)
			}
			if w > 0 {
				vc.Set(gocv.VideoCaptureFrameWidth, float64(w))
				vc.Set(gocv.VideoCaptureFrameHeight, float64(h))
			}
			if fps > 0 {
				vc.Set(gocv.VideoCaptureFPS, fps)
			}
			vc.Set(gocv.VideoCaptureBufferSize, 1) // we keep the newest frame ourselves
			return s.newCVDevice(vc), nil
		}
	case kindURL:
		s.what = "URL " + redact(sp.target)
		s.open = func() (*cvDevice, error) {
			vc, err := gocv.VideoCaptureFileWithAPI(sp.target, gocv.VideoCaptureFFmpeg)
			if err := checkOpened(vc, err); err != nil {
				return nil, fmt.Errorf("%w: %s: unreachable, wrong path or credentials, or a codec FFMPEG lacks", ErrOpen, s.what)
			}
			return s.newCVDevice(vc), nil
		}
	case kindGst:
		pipe := sp.target
		if !strings.Contains(pipe, "appsink") {
			pipe += " ! videoconvert ! video/x-raw,format=BGR ! appsink drop=true max-buffers=1"
		}
		s.what = "GStreamer pipeline"
		s.open = func() (*cvDevice, error) {
			vc, err := gocv.VideoCaptureFileWithAPI(pipe, gocv.VideoCaptureGstreamer)
			if err := checkOpened(vc, err); err != nil {
				return nil, fmt.Errorf("%w: GStreamer pipeline %q does not start (check the elements with gst-launch-1.0; it must end in appsink)", ErrOpen, pipe)
			}
			return s.newCVDevice(vc), nil
		}
	default:
		return nil, fmt.Errorf("%w: %s is not a live source", ErrSpec, sp.kind)
	}
	return s, nil
}

func checkOpened(vc *gocv.VideoCapture, err error) error {
	if err == nil && vc.IsOpened() {
		return nil
	}
	if vc != nil {
		vc.Close()
	}
	if err == nil {
		err = errors.New("not opened")
	}
	return err
}

// cvDevice is an OpenCV VideoCapture with its scratch Mats.
type cvDevice struct {
	src    *base
	what   string
	vc     *gocv.VideoCapture
	m, tmp gocv.Mat
}

func (s *liveSource) newCVDevice(vc *gocv.VideoCapture) *cvDevice {
	if fps := vc.Get(gocv.VideoCaptureFPS); fps > 0 && fps <= 1000 {
		s.fps.Store(math.Float64bits(fps))
	}
	return &cvDevice{src: s.base, what: s.what, vc: vc, m: gocv.NewMat(), tmp: gocv.NewMat()}
}

func (d *cvDevice) Next() (*frame.Frame, error) {
	if d.src.limited() {
		return nil, io.EOF
	}
	if !d.vc.Read(&d.m) || d.m.Empty() {
		d.src.fail()
		return nil, errors.New("read failed (device gone or stream ended)")
	}
	return d.src.fromMat(d.m, &d.tmp)
}

func (d *cvDevice) Describe() string { return d.what }

func (d *cvDevice) Close() {
	d.vc.Close()
	d.m.Close()
	d.tmp.Close()
}

// FPS is the frame rate the device or stream reported when last opened (0 before, or unknown).
func (s *liveSource) FPS() float64 { return math.Float64frombits(s.fps.Load()) }

// Open connects; it may block (a network stream), and the caller bounds it.
func (s *liveSource) Open() (frame.Stream, error) {
	d, err := s.open()
	if err != nil {
		s.fail()
		return nil, err
	}
	return d, nil
}
