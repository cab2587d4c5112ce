package pipeline

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// blockingWriter blocks every Write until released.
type blockingWriter struct {
	release chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	<-b.release
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// TestLiveWriterNeverBlocks: a reader that stops reading costs dropped lines, not a stalled
// writer; complete lines pass whole, split writes are reassembled, and Close does not hang.
func TestLiveWriterNeverBlocks(t *testing.T) {
	bw := &blockingWriter{release: make(chan struct{})}
	l := NewLiveWriter(bw, 2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 {
			l.Write([]byte("{\"a\":1}\n"))
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Write blocked on a stalled reader")
	}
	if d := l.Dropped(); d < 97 || d > 98 {
		t.Errorf("dropped %d of 100 lines with room for 2 (+1 in flight)", d)
	}
	start := time.Now()
	l.Close() // the reader is still stalled
	if time.Since(start) > 3*time.Second {
		t.Error("Close waited for a reader that never reads")
	}
	close(bw.release)

	var out bytes.Buffer
	var mu sync.Mutex
	l2 := NewLiveWriter(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) }), 8)
	l2.Write([]byte("{\"x\":"))
	l2.Write([]byte("2}\n{\"y\":3}\n"))
	l2.Close()
	mu.Lock()
	defer mu.Unlock()
	if got := out.String(); got != "{\"x\":2}\n{\"y\":3}\n" || strings.Count(got, "\n") != 2 {
		t.Errorf("got %q", got)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// brokenPipe fails every write, as stdout does once `head -1` has exited.
type brokenPipe struct{}

func (brokenPipe) Write([]byte) (int, error) { return 0, syscall.EPIPE }

// TestLiveWriterReaderGone: a reader that is gone is an output that failed: Write and Close say
// so (the sink is then turned off and named in the summary) instead of losing lines silently.
func TestLiveWriterReaderGone(t *testing.T) {
	l := NewLiveWriter(brokenPipe{}, 8)
	l.Write([]byte("a\n"))
	deadline := time.Now().Add(5 * time.Second)
	for l.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if _, err := l.Write([]byte("b\n")); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("Write after the reader left: %v, want EPIPE", err)
	}
	if err := l.Close(); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("Close: %v, want EPIPE", err)
	}
}
