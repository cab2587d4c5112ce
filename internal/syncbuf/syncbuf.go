// Package syncbuf is a bytes.Buffer safe for concurrent writers: a log destination that tests
// read while the code under test is still writing to it.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer collects writes from several goroutines; String returns what it holds so far.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
