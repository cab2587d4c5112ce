package infer

import (
	"sync"
	"sync/atomic"
)

// floatPool recycles float32 buffers by exact length (a run has few distinct sizes).
type floatPool struct {
	mu    sync.Mutex
	pools map[int]*sync.Pool
}

func (p *floatPool) get(n int) []float32 {
	p.mu.Lock()
	sp := p.pools[n]
	p.mu.Unlock()
	if sp != nil {
		if b, ok := sp.Get().(*[]float32); ok {
			return *b
		}
	}
	return make([]float32, n)
}

func (p *floatPool) put(b []float32) {
	n := cap(b)
	if n == 0 {
		return
	}
	b = b[:n]
	p.mu.Lock()
	if p.pools == nil {
		p.pools = map[int]*sync.Pool{}
	}
	sp := p.pools[n]
	if sp == nil {
		sp = &sync.Pool{}
		p.pools[n] = sp
	}
	p.mu.Unlock()
	sp.Put(&b)
}

// shared is one output tensor's buffer that several Outputs of a batch point into; it goes
// back to the pool when the last of them is released.
type shared struct {
	buf  []float32
	refs atomic.Int32
	pool *floatPool
}

func (s *shared) release() {
	if s.refs.Add(-1) == 0 {
		s.pool.put(s.buf)
		s.buf = nil
	}
}
