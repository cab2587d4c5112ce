package stream

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// rawFrame is a published picture waiting for the encoder.
type rawFrame struct {
	seq      uint64
	captured time.Time
	w, h     int
	pix      []byte
}

// encFrame is one encoded frame, shared read-only by every viewer of the source.
type encFrame struct {
	data     []byte
	key      bool
	dur      time.Duration
	seq      uint64
	captured time.Time
}

// source is one camera/file: a one-slot latest-frame queue, one encoder goroutine, its viewers.
type source struct {
	name string
	srv  *Server
	log  *slog.Logger

	mu      sync.Mutex
	pending *rawFrame // newest frame not yet encoded; nil when none
	spare   *rawFrame // recycled buffer
	viewers map[*viewer]struct{}
	running bool // encoder goroutine started
	w, h    int  // size of the latest frame (for /sources)

	wake     chan struct{} // cap 1: a frame is pending
	forceKey atomic.Bool   // next encode is a keyframe (viewer joined, PLI/FIR, viewer dropped)
	lastKey  atomic.Int64  // unix nanoseconds of the last keyframe, to pace PLI-driven ones
	dropped  atomic.Uint64
}

func newSource(srv *Server, name string) *source {
	return &source{
		name: name, srv: srv, log: srv.log.With("source", name),
		viewers: map[*viewer]struct{}{}, wake: make(chan struct{}, 1),
	}
}

// publish copies a frame into the latest-frame slot. It never blocks on the encoder: a frame
// still waiting is replaced (the newest wins) and counted as dropped. Nobody watching, no work.
func (s *source) publish(seq uint64, captured time.Time, w, h int, bgr []byte) {
	s.mu.Lock()
	s.w, s.h = w, h
	if len(s.viewers) == 0 {
		s.mu.Unlock()
		return
	}
	f := s.pending
	if f != nil {
		s.dropped.Add(1)
		s.srv.m.framesDropped.WithLabelValues(s.name, "source").Inc()
	} else {
		f, s.spare = s.spare, nil
		if f == nil {
			f = &rawFrame{}
		}
	}
	f.seq, f.captured, f.w, f.h = seq, captured, w, h
	f.pix = append(f.pix[:0], bgr...)
	s.pending = f
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take returns the pending frame (nil if none), handing back the previous one for reuse.
func (s *source) take(done *rawFrame) *rawFrame {
	s.mu.Lock()
	defer s.mu.Unlock()
	if done != nil && s.spare == nil {
		s.spare = done
	}
	f := s.pending
	s.pending = nil
	return f
}

// addViewer registers v and starts the encoder goroutine on first use.
func (s *source) addViewer(ctx context.Context, wg *sync.WaitGroup, v *viewer) {
	s.mu.Lock()
	s.viewers[v] = struct{}{}
	n := len(s.viewers)
	start := !s.running
	s.running = true
	s.mu.Unlock()
	s.forceKey.Store(true) // the newcomer needs a keyframe to start decoding
	s.srv.m.viewers.WithLabelValues(s.name).Set(float64(n))
	if start {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.encodeLoop(ctx)
		}()
	}
}

// removeViewer forgets v; it reports whether v was registered.
func (s *source) removeViewer(v *viewer) bool {
	s.mu.Lock()
	_, ok := s.viewers[v]
	delete(s.viewers, v)
	n := len(s.viewers)
	if n == 0 && s.pending != nil { // free the slot: nobody will watch this frame
		s.spare, s.pending = s.pending, nil
	}
	s.mu.Unlock()
	s.srv.m.viewers.WithLabelValues(s.name).Set(float64(n))
	return ok
}

// pliKeyGap is the least time between keyframes asked for by PLI/FIR: one lossy viewer's
// repeated requests must not turn everyone's stream into keyframes.
const pliKeyGap = 300 * time.Millisecond

// keyOnPLI forces a keyframe for a PLI/FIR unless one went out within pliKeyGap.
func (s *source) keyOnPLI(now time.Time) {
	if now.UnixNano()-s.lastKey.Load() >= int64(pliKeyGap) {
		s.forceKey.Store(true)
	}
}

// fanOut hands f to every viewer's queue without blocking.
func (s *source) fanOut(f *encFrame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for v := range s.viewers {
		v.pushFrame(f)
	}
}

// encodeLoop converts and encodes the newest pending frame whenever one arrives, until ctx ends.
func (s *source) encodeLoop(ctx context.Context) {
	var (
		enc      encoder
		cur      *rawFrame
		out      []byte
		t0       time.Time
		lastPts  int64 = -1
		lastCap  time.Time
		failures int
	)
	defer func() {
		if enc != nil {
			enc.Close()
		}
	}()
	cfg := s.srv.cfg
	defaultDur := time.Second / time.Duration(cfg.FPS)
	var encW, encH int // the size enc was made for
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
		cur = s.take(cur)
		if cur == nil {
			continue
		}
		start := time.Now()
		if enc != nil && (encW != cur.w || encH != cur.h) {
			enc.Close() // the source changed size (1024x512 → 512x1024 too): a new stream with a keyframe
			enc = nil
		}
		if enc == nil {
			var err error
			enc, err = newEncoder(encoderSettings{W: cur.w, H: cur.h, FPS: cfg.FPS, BitrateKbps: cfg.BitrateKbps})
			encW, encH = cur.w, cur.h
			if err != nil {
				failures++
				if failures == 1 || failures%100 == 0 {
					s.log.Error("cannot create the video encoder; frames are not streamed", "err", err, "failures", failures)
				}
				continue
			}
			s.forceKey.Store(true)
		}
		y, u, v := enc.Planes()
		bgrToI420(cur.pix, cur.w, cur.h, y, u, v)
		if cfg.FrameMarker {
			stampMarker(cur.seq, cur.w, cur.h, y, u, v)
		}
		// Presentation times come from capture times (ms since this encoder's first frame),
		// kept strictly increasing for libvpx's rate control.
		if t0.IsZero() {
			t0 = cur.captured
		}
		pts := cur.captured.Sub(t0).Milliseconds()
		if pts <= lastPts {
			pts = lastPts + 1
		}
		dur := defaultDur
		if !lastCap.IsZero() {
			if d := cur.captured.Sub(lastCap); d > 0 && d < time.Second {
				dur = d
			}
		}
		key := s.forceKey.Swap(false)
		data, isKey, err := enc.Encode(pts, int(dur.Milliseconds()), key, out[:0])
		if err != nil {
			s.forceKey.Store(true)
			failures++
			if failures == 1 || failures%100 == 0 {
				s.log.Warn("encode failed; frame skipped", "err", err, "seq", cur.seq, "failures", failures)
			}
			continue
		}
		lastPts, lastCap = pts, cur.captured
		if isKey {
			s.lastKey.Store(time.Now().UnixNano())
		}
		s.srv.m.encodeSeconds.WithLabelValues(s.name).Observe(time.Since(start).Seconds())
		s.srv.m.framesEncoded.WithLabelValues(s.name).Inc()
		// Each frame gets its own copy: viewers hold it after the next encode reuses out.
		s.fanOut(&encFrame{data: append([]byte(nil), data...), key: isKey, dur: dur, seq: cur.seq, captured: cur.captured})
		out = data
	}
}
