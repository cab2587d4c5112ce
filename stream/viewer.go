package stream

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

const (
	viewerFrameQueue = 8       // encoded frames a viewer may lag behind before it drops
	viewerEventQueue = 256     // event messages waiting for one viewer's data channel
	maxDCBuffered    = 1 << 20 // bytes queued in a data channel before events are dropped
)

// viewer is one WebRTC peer watching one source. Its own goroutines write its track and its
// data channel from bounded queues, so a slow or stuck viewer drops only its own frames.
type viewer struct {
	id     string
	src    *source
	srv    *Server
	log    *slog.Logger
	pc     *webrtc.PeerConnection
	track  *webrtc.TrackLocalStaticSample
	sender *webrtc.RTPSender

	frames chan *encFrame
	events chan []byte
	dc     chan *webrtc.DataChannel // receives the "events" channel once it opens
	done   chan struct{}
	once   sync.Once

	connectTimer atomic.Pointer[time.Timer] // set while connect may race its own firing; stopped on close
	noEvents     bool                       // the offer has no data channel: send it no events; set before the viewer is added
	removed      bool                       // guarded by Server.mu
	connected    bool                       // guarded by Server.mu: no longer pending

	waitKey       atomic.Bool // after a drop, skip until a keyframe so the picture never smears
	droppedFrames atomic.Uint64
	droppedEvents atomic.Uint64
}

func newViewer(srv *Server, src *source, id string) *viewer {
	v := &viewer{
		id: id, src: src, srv: srv, log: srv.log.With("viewer", id, "source", src.name),
		frames: make(chan *encFrame, viewerFrameQueue),
		events: make(chan []byte, viewerEventQueue),
		dc:     make(chan *webrtc.DataChannel, 1),
		done:   make(chan struct{}),
	}
	v.waitKey.Store(true) // a decoder can start only at a keyframe
	return v
}

// pushFrame queues f without blocking; a full queue drops it and asks the encoder for a keyframe.
func (v *viewer) pushFrame(f *encFrame) {
	select {
	case v.frames <- f:
	default:
		v.droppedFrames.Add(1)
		v.srv.m.framesDropped.WithLabelValues(v.src.name, "viewer").Inc()
		v.waitKey.Store(true)
		v.src.forceKey.Store(true)
	}
}

// pushEvent queues one event message without blocking; a full queue drops it.
func (v *viewer) pushEvent(b []byte) {
	select {
	case v.events <- b:
	default:
		v.droppedEvents.Add(1)
		v.srv.m.eventsDropped.Inc()
	}
}

// writeFrames sends queued frames on the viewer's track until the viewer closes.
func (v *viewer) writeFrames() {
	var skipped time.Duration // timing of frames skipped while waiting for a keyframe
	for {
		select {
		case <-v.done:
			return
		case f := <-v.frames:
			if v.waitKey.Load() {
				if !f.key {
					skipped += f.dur
					continue
				}
				v.waitKey.Store(false)
			}
			if err := v.track.WriteSample(media.Sample{Data: f.data, Duration: f.dur + skipped}); err != nil {
				v.log.Debug("write sample", "err", err)
			}
			skipped = 0
		}
	}
}

// writeEvents sends queued events once the data channel is open, dropping them while the
// channel's own buffer is congested (a viewer that cannot keep up loses events, not memory).
func (v *viewer) writeEvents() {
	var dc *webrtc.DataChannel
	select {
	case <-v.done:
		return
	case dc = <-v.dc:
	}
	for {
		select {
		case <-v.done:
			return
		case b := <-v.events:
			if dc.BufferedAmount() > maxDCBuffered {
				v.droppedEvents.Add(1)
				v.srv.m.eventsDropped.Inc()
				continue
			}
			if err := dc.SendText(string(b)); err != nil {
				v.log.Debug("data channel send", "err", err)
				continue
			}
			v.srv.m.eventsSent.Inc()
		}
	}
}

// readRTCP drains the sender's RTCP (required for interceptors) and turns PLI/FIR into keyframes.
func (v *viewer) readRTCP() {
	for {
		pkts, _, err := v.sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				v.src.keyOnPLI(time.Now())
			}
		}
	}
}

// close stops the viewer's goroutines and its peer connection; safe to call more than once.
func (v *viewer) close() {
	v.once.Do(func() {
		close(v.done)
		if t := v.connectTimer.Load(); t != nil {
			t.Stop()
		}
		if err := v.pc.Close(); err != nil {
			v.log.Debug("close peer connection", "err", err)
		}
		v.log.Info("viewer left", "dropped_frames", v.droppedFrames.Load(), "dropped_events", v.droppedEvents.Load())
	})
}
