package capture

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"gocv.io/x/gocv"

	"github.com/metaood/metaood/frame"
)

// device is an open live stream. next blocks until a frame (stamped by the source) or an error
// (device gone, stream ended). close must not run while next is running.
type device interface {
	next() (*frame.Frame, error)
	close()
}

// liveSource is a camera, URL or GStreamer pipeline, supervised: reopened with backoff.
type liveSource struct {
	*base
	fps  atomic.Uint64          // float64 bits, set on open
	what string                 // for messages: "camera 0", "URL rtsp://host/x", "GStreamer pipeline"
	open func() (device, error) // connects; may block (network)
	// grace is how long Run waits, once ctx is done, for a blocked open or read before it
	// returns and leaves that call to finish (and close its device) in the background.
	grace time.Duration
}

func newLiveSource(b *base, sp spec) (Source, error) {
	s := &liveSource{base: b, grace: 2 * time.Second}
	s.live = true
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
		s.open = func() (device, error) {
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
		s.open = func() (device, error) {
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
		s.open = func() (device, error) {
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
	vc     *gocv.VideoCapture
	m, tmp gocv.Mat
}

func (s *liveSource) newCVDevice(vc *gocv.VideoCapture) *cvDevice {
	if fps := vc.Get(gocv.VideoCaptureFPS); fps > 0 && fps <= 1000 {
		s.fps.Store(math.Float64bits(fps))
	}
	return &cvDevice{src: s.base, vc: vc, m: gocv.NewMat(), tmp: gocv.NewMat()}
}

func (d *cvDevice) next() (*frame.Frame, error) {
	if !d.vc.Read(&d.m) || d.m.Empty() {
		return nil, errors.New("read failed (device gone or stream ended)")
	}
	return d.src.fromMat(d.m, &d.tmp)
}

func (d *cvDevice) close() {
	d.vc.Close()
	d.m.Close()
	d.tmp.Close()
}

// Stats returns the source's counters.
func (s *liveSource) Stats() Stats { return s.counters.Stats() }

// FPS is the frame rate the device or stream reported when last opened (0 before, or unknown).
func (s *liveSource) FPS() float64 { return math.Float64frombits(s.fps.Load()) }

// Run connects, reads into the live queue, and reopens with backoff when the stream fails,
// until ctx is done (nil). Only a first open failure without Options.WaitFirst is an error.
func (s *liveSource) Run(ctx context.Context, out chan<- *frame.Frame) error {
	em := s.startEmit(ctx, out)
	defer em.finish()
	delay := s.opts.Backoff
	opened, lost := false, false
	for {
		dev, err := s.openCtx(ctx)
		if ctx.Err() != nil {
			s.state(StateEnded, "stopped")
			return nil
		}
		if err != nil {
			s.fail()
			if !opened && !s.opts.WaitFirst {
				s.state(StateEnded, err.Error())
				return err
			}
			if !lost { // report the transition once; retries go to the log
				lost = true
				s.state(StateLost, fmt.Sprintf("%v; retrying with backoff", err))
			} else {
				s.log.Debug("reopen failed", "err", err, "next_try", delay)
			}
			if !sleep(ctx, delay) {
				s.state(StateEnded, "stopped")
				return nil
			}
			delay = min(2*delay, s.opts.MaxBackoff)
			continue
		}
		if !opened {
			opened = true
			s.state(StateOpened, s.what)
		} else {
			s.reconnect()
			s.state(StateReconnected, s.what)
		}
		lost = false
		s.up(true)
		n, err := s.pump(ctx, dev, em)
		s.up(false)
		if ctx.Err() != nil || s.limited() {
			s.state(StateEnded, fmt.Sprintf("stopped after %s", plural(n, "frame")))
			return nil
		}
		s.fail()
		if n > 0 {
			delay = s.opts.Backoff
		}
		lost = true
		s.state(StateLost, fmt.Sprintf("%s: %v after %s; reconnecting in %v", s.what, err, plural(n, "frame"), delay))
		if !sleep(ctx, delay) {
			s.state(StateEnded, "stopped")
			return nil
		}
		delay = min(2*delay, s.opts.MaxBackoff)
	}
}

// openCtx opens the device, giving up (and leaving the open to finish and be closed in the
// background) when ctx ends and the open is still blocked after the grace period.
func (s *liveSource) openCtx(ctx context.Context) (device, error) {
	type result struct {
		dev device
		err error
	}
	done := make(chan result, 1)
	var abandoned atomic.Bool
	go func() {
		dev, err := s.open()
		if abandoned.Load() && dev != nil {
			dev.close()
			return
		}
		done <- result{dev, err}
	}()
	select {
	case r := <-done:
		return r.dev, r.err
	case <-ctx.Done():
	}
	t := time.NewTimer(s.grace)
	defer t.Stop()
	select {
	case r := <-done:
		if r.dev != nil {
			r.dev.close()
		}
		return nil, ctx.Err()
	case <-t.C:
		abandoned.Store(true)
		// The open may have finished between the timer and the flag.
		select {
		case r := <-done:
			if r.dev != nil {
				r.dev.close()
			}
		default:
			s.log.Warn("open still blocked at shutdown; leaving it to time out in the background")
		}
		return nil, ctx.Err()
	}
}

// pump reads frames into em until the device fails or ctx ends; it closes dev. The reads run
// in their own goroutine because a blocked read ignores ctx.
func (s *liveSource) pump(ctx context.Context, dev device, em *emitter) (int, error) {
	var stop atomic.Bool
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n := 0
		var err error
		for !stop.Load() && !s.limited() {
			var f *frame.Frame
			f, err = dev.next()
			if err != nil {
				break
			}
			n++
			if stop.Load() {
				em.discard(f)
				break
			}
			if !em.emit(ctx, f) {
				break
			}
		}
		dev.close()
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		return r.n, r.err
	case <-ctx.Done():
	}
	stop.Store(true)
	t := time.NewTimer(s.grace)
	defer t.Stop()
	select {
	case r := <-done:
		return r.n, ctx.Err()
	case <-t.C:
		s.log.Warn("read still blocked at shutdown; leaving it to finish in the background")
		return 0, ctx.Err()
	}
}
