package pipeline

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// LiveWriter is a live edge for line-oriented output to a reader we do not control (stdout
// piped into `jq`, a terminal scrolled back): whole lines go through a bounded queue to a
// writer goroutine, and when the reader falls behind, new lines are dropped and counted rather
// than stalling the pipeline (which would also stall the video, the viewer and Ctrl-C).
//
// A reader that is gone (a closed pipe: `metaood run | head -1`) is an output that failed: the
// first write error is kept, later lines are discarded, and Write and Close return it.
type LiveWriter struct {
	w       io.Writer
	q       chan []byte
	line    []byte // the line being assembled until its '\n'
	dropped atomic.Uint64
	err     atomic.Pointer[error] // the first write error
	done    chan struct{}
	once    sync.Once
}

// NewLiveWriter starts the writer goroutine with room for queue lines.
func NewLiveWriter(w io.Writer, queue int) *LiveWriter {
	l := &LiveWriter{w: w, q: make(chan []byte, queue), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for b := range l.q {
			if l.err.Load() != nil {
				continue // the reader is gone: drain
			}
			if _, err := l.w.Write(b); err != nil {
				l.err.Store(&err)
			}
		}
	}()
	return l
}

// Write queues every complete line of p; it never blocks.
func (l *LiveWriter) Write(p []byte) (int, error) {
	if err := l.Err(); err != nil {
		return 0, err
	}
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.line = append(l.line, p...)
			break
		}
		line := append(append(make([]byte, 0, len(l.line)+i+1), l.line...), p[:i+1]...)
		l.line = l.line[:0]
		p = p[i+1:]
		select {
		case l.q <- line:
		default:
			l.dropped.Add(1)
		}
	}
	return n, nil
}

// Err is the first write error (the reader is gone), or nil.
func (l *LiveWriter) Err() error {
	if p := l.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Dropped is the number of lines dropped because the reader was behind.
func (l *LiveWriter) Dropped() uint64 { return l.dropped.Load() }

// Close lets the queue drain for up to a second (a reader that never reads must not hold up
// the end of a run), then returns; lines still queued then are lost.
func (l *LiveWriter) Close() error {
	l.once.Do(func() { close(l.q) })
	select {
	case <-l.done:
	case <-time.After(time.Second):
	}
	return l.Err()
}
