// Package sinkqueue is the bounded queue of a network output (webhook, MQTT): Push never blocks
// the pipeline, and when the queue is full a critical item (an emergency, a clear) takes the
// place of the oldest routine one, so an outage that fills the queue with per-frame events
// loses those, not the emergencies.
package sinkqueue

import (
	"context"
	"sync"
)

// Queue is a FIFO of at most Limit items. Safe for concurrent use.
type Queue[T any] struct {
	limit  int
	mu     sync.Mutex
	items  []entry[T]
	closed bool
	ready  chan struct{} // a token when items or closed changed
}

type entry[T any] struct {
	v        T
	critical bool
}

// New returns a queue of at most limit items (at least 1).
func New[T any](limit int) *Queue[T] {
	return &Queue[T]{limit: max(1, limit), ready: make(chan struct{}, 1)}
}

// Push appends v without blocking. When the queue is full, a critical v evicts the oldest
// routine item; otherwise (v routine, or only critical items queued) v itself is refused.
// It reports how many items were lost (0 or 1) and whether the lost one was critical. A closed
// queue refuses everything.
func (q *Queue[T]) Push(v T, critical bool) (lost int, lostCritical bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return 1, critical
	}
	if len(q.items) >= q.limit {
		victim := -1
		if critical {
			for i, e := range q.items {
				if !e.critical {
					victim = i
					break
				}
			}
		}
		if victim < 0 {
			return 1, critical
		}
		q.items = append(q.items[:victim], q.items[victim+1:]...)
		lost = 1
	}
	q.items = append(q.items, entry[T]{v, critical})
	q.signal()
	return lost, false
}

// Pop returns the oldest item, waiting for one. ok is false once the queue is closed and empty,
// or when ctx ends first.
func (q *Queue[T]) Pop(ctx context.Context) (v T, critical, ok bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			e := q.items[0]
			q.items[0] = entry[T]{}
			q.items = q.items[1:]
			if len(q.items) > 0 {
				q.signal()
			}
			q.mu.Unlock()
			return e.v, e.critical, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return v, false, false
		}
		select {
		case <-q.ready:
		case <-ctx.Done():
			return v, false, false
		}
	}
}

// Close refuses further pushes; Pop returns what is queued, then ok = false.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	q.closed = true
	q.signal()
	q.mu.Unlock()
}

// Len is the number of items waiting.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// signal leaves a token for a waiting Pop; q.mu is held.
func (q *Queue[T]) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}
