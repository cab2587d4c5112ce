package capture

import (
	"context"
	"io"
	"sync"
	"sync/atomic"

	"github.com/metaood/metaood/frame"
)

// Latest is the one-slot queue at a live source's edge: Put never blocks and keeps only the
// newest frame (a replaced frame is a counted drop, its buffer recycled); Get waits for a frame.
// It is safe for one or more producers and consumers.
type Latest struct {
	mu     sync.Mutex
	slot   *frame.Frame
	ready  chan struct{} // holds a token while slot is set
	done   chan struct{} // closed by Close
	once   sync.Once
	drops  atomic.Uint64
	onDrop func() // counts the drop in the source's metrics; may be nil
}

// NewLatest returns an empty queue.
func NewLatest() *Latest {
	return &Latest{ready: make(chan struct{}, 1), done: make(chan struct{})}
}

// Put stores f as the newest frame and reports whether an older, unread frame was dropped.
func (l *Latest) Put(f *frame.Frame) (dropped bool) {
	l.mu.Lock()
	old := l.slot
	l.slot = f
	l.mu.Unlock()
	if old != nil {
		l.drops.Add(1)
		if l.onDrop != nil {
			l.onDrop()
		}
		Recycle(old)
		return true
	}
	select {
	case l.ready <- struct{}{}:
	default:
	}
	return false
}

// Get returns the newest frame, waiting for one. After Close it still returns a frame left in
// the slot, then io.EOF; it returns ctx.Err() when ctx ends first.
func (l *Latest) Get(ctx context.Context) (*frame.Frame, error) {
	for {
		if f := l.take(); f != nil {
			return f, nil
		}
		select {
		case <-l.ready:
		case <-l.done:
			if f := l.take(); f != nil {
				return f, nil
			}
			return nil, io.EOF
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (l *Latest) take() *frame.Frame {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.slot
	l.slot = nil
	return f
}

// Close tells Get that no more frames will come.
func (l *Latest) Close() { l.once.Do(func() { close(l.done) }) }

// Drops is the number of frames replaced before anyone read them.
func (l *Latest) Drops() uint64 { return l.drops.Load() }
