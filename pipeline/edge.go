package pipeline

import (
	"context"
	"sync"

	"github.com/metaood/metaood/frame"
)

// edge is the one place where frames wait before inference: a slot per source. A live source's
// slot keeps only its newest frame (a replaced frame is a counted drop), so a live frame is at
// most one inference call old when its own starts; a replay source's slot holds up to depth
// frames and blocks the source when full (back-pressure, nothing dropped).
type edge struct {
	mu    sync.Mutex
	slots []*slot
	next  int           // where the next take starts (round robin over the sources)
	open  int           // slots not closed yet
	ready chan struct{} // a token after a put or a close
	drop  func(f *frame.Frame)
}

type slot struct {
	id     string
	live   bool
	depth  int
	q      []*frame.Frame
	pinned int    // the first pinned frames precede a source event: they are never replaced
	taken  uint64 // frames handed to inference
	closed bool
	space  chan struct{} // a token when a replay slot has room again
}

func newEdge(drop func(*frame.Frame)) *edge {
	return &edge{ready: make(chan struct{}, 1), drop: drop}
}

// add makes the slot of a source; all slots are added before the first take.
func (e *edge) add(id string, live bool, depth int) *slot {
	s := &slot{id: id, live: live, depth: max(depth, 1), space: make(chan struct{}, 1)}
	e.mu.Lock()
	e.slots = append(e.slots, s)
	e.open++
	e.mu.Unlock()
	return s
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// put hands f to the slot: a live slot replaces its unpinned frame (the drop callback gets the
// old one); a replay slot waits for room. false when ctx ended first or the slot is closed (f is
// then not taken: the caller recycles it).
func (e *edge) put(ctx context.Context, s *slot, f *frame.Frame) bool {
	for {
		e.mu.Lock()
		if s.closed {
			e.mu.Unlock()
			return false
		}
		var old *frame.Frame
		switch {
		case s.live && len(s.q) > s.pinned:
			old, s.q[len(s.q)-1] = s.q[len(s.q)-1], f
		case s.live || len(s.q) < s.depth:
			s.q = append(s.q, f)
		default:
			e.mu.Unlock()
			select {
			case <-s.space:
				continue
			case <-ctx.Done():
				return false
			}
		}
		e.mu.Unlock()
		signal(e.ready)
		if old != nil {
			e.drop(old)
		}
		return true
	}
}

// mark pins the frames queued now behind a source event and returns how many frames of the
// source will have reached inference when the event is due.
func (e *edge) mark(s *slot) uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	s.pinned = len(s.q)
	return s.taken + uint64(len(s.q))
}

// close ends a slot; the frames in it are still taken.
func (e *edge) close(s *slot) {
	e.mu.Lock()
	if !s.closed {
		s.closed = true
		e.open--
	}
	e.mu.Unlock()
	signal(e.ready)
}

// take waits for frames and returns up to n of them, round robin over the sources (a replay
// slot's frames in order). It returns nil once every slot is closed and empty, or ctx ends.
func (e *edge) take(ctx context.Context, n int, buf []*frame.Frame) []*frame.Frame {
	for {
		out := buf[:0]
		e.mu.Lock()
		k := len(e.slots)
		for i := 0; i < k && len(out) < n; i++ {
			s := e.slots[(e.next+i)%k]
			m := min(len(s.q), n-len(out))
			if m == 0 {
				continue
			}
			out = append(out, s.q[:m]...)
			s.q = append(s.q[:0], s.q[m:]...)
			s.pinned = max(0, s.pinned-m)
			s.taken += uint64(m)
			signal(s.space)
		}
		if k > 0 {
			e.next = (e.next + 1) % k
		}
		done := e.open == 0
		e.mu.Unlock()
		if len(out) > 0 {
			return out
		}
		if done {
			return nil
		}
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil
		}
	}
}

// queued is the number of frames waiting, for the queue-depth metric.
func (e *edge) queued() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, s := range e.slots {
		n += len(s.q)
	}
	return n
}
