package infer

import (
	"sync"
	"sync/atomic"

	ort "github.com/yalue/onnxruntime_go"
)

// Tensors are made once and reused. ONNX Runtime writes a run's outputs straight into an
// outSlot's Go buffers, and the frames of that batch are handed downstream as views of them; the
// slot goes back to its free list only when the last of those frames is released, so a buffer
// that a frame still reads is never the target of the next run. Free lists are plain slices, not
// sync.Pools: a garbage collection does not empty them, so steady state allocates no tensors.
// Their length is bounded by the batches in flight at once (the pipeline's depth).

// slotKey is a run's input shape: batch, height, width.
type slotKey struct{ batch, h, w int }

// inSlot is an input tensor over its Go buffer (batch×3×h×w), free again after the run.
type inSlot struct {
	buf []float32
	t   *ort.Tensor[float32]
}

// outSlot holds one run's outputs. Dense: logits, batch×C×mh×mw. Dispersion head: entropy,
// argmax and top-2 (per frame mh×mw, mh×mw, 2×mh×mw) in reused tensors, and the kept pixels'
// class probabilities, whose size changes from run to run, in a tensor ONNX Runtime allocates.
type outSlot struct {
	key       slotKey
	c, mh, mw int
	vals      []ort.Value // what Run writes into, in the session's output order
	logits    []float32
	ent, top2 []float32
	argmax    []uint8
	maskProbs *ort.Tensor[float32] // this run's, destroyed on release
	refs      atomic.Int32
	owner     *slotPool
}

// release drops one frame's hold; the last one puts the slot back.
func (s *outSlot) release() {
	if s.refs.Add(-1) == 0 {
		if s.maskProbs != nil {
			s.maskProbs.Destroy()
			s.maskProbs = nil
		}
		s.owner.putOutput(s)
	}
}

func (s *outSlot) destroy() {
	for _, v := range s.vals {
		if v != nil {
			v.Destroy()
		}
	}
	s.vals = nil
}

// slotPool keeps the free slots of one engine by shape.
type slotPool struct {
	mu      sync.Mutex
	ins     map[slotKey][]*inSlot
	outs    map[slotKey][]*outSlot
	created int // output slots made so far (tests, the steady-state claim)
	closed  bool
}

// input returns a free input slot for k, making one if none is free.
func (p *slotPool) input(k slotKey) (*inSlot, error) {
	p.mu.Lock()
	if l := p.ins[k]; len(l) > 0 {
		s := l[len(l)-1]
		p.ins[k] = l[:len(l)-1]
		p.mu.Unlock()
		return s, nil
	}
	p.mu.Unlock()
	buf := make([]float32, k.batch*3*k.h*k.w)
	t, err := ort.NewTensor(ort.NewShape(int64(k.batch), 3, int64(k.h), int64(k.w)), buf)
	if err != nil {
		return nil, err
	}
	return &inSlot{buf: buf, t: t}, nil
}

func (p *slotPool) putInput(k slotKey, s *inSlot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		s.t.Destroy()
		return
	}
	if p.ins == nil {
		p.ins = map[slotKey][]*inSlot{}
	}
	p.ins[k] = append(p.ins[k], s)
}

// output returns a free output slot for k whose maps are c×mh×mw (head: with the dispersion
// head's outputs), making one if none is free.
func (p *slotPool) output(k slotKey, c, mh, mw int, head bool) (*outSlot, error) {
	p.mu.Lock()
	if l := p.outs[k]; len(l) > 0 {
		s := l[len(l)-1]
		p.outs[k] = l[:len(l)-1]
		p.mu.Unlock()
		return s, nil
	}
	p.created++
	p.mu.Unlock()
	s := &outSlot{key: k, c: c, mh: mh, mw: mw, owner: p}
	n, hw := int64(k.batch), int64(mh*mw)
	var err error
	add := func(v ort.Value, e error) {
		if e != nil && err == nil {
			err = e
		}
		s.vals = append(s.vals, v)
	}
	if !head {
		s.logits = make([]float32, int64(c)*n*hw)
		add(ort.NewTensor(ort.NewShape(n, int64(c), int64(mh), int64(mw)), s.logits))
	} else {
		s.ent = make([]float32, n*hw)
		s.argmax = make([]uint8, n*hw)
		s.top2 = make([]float32, 2*n*hw)
		add(ort.NewTensor(ort.NewShape(n, int64(mh), int64(mw)), s.ent))
		add(ort.NewTensor(ort.NewShape(n, int64(mh), int64(mw)), s.argmax))
		add(ort.NewTensor(ort.NewShape(n, 2, int64(mh), int64(mw)), s.top2))
		s.vals = append(s.vals, nil) // the kept pixels' probabilities: allocated by each run
	}
	if err != nil {
		s.destroy()
		return nil, err
	}
	return s, nil
}

func (p *slotPool) putOutput(s *outSlot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		s.destroy()
		return
	}
	if p.outs == nil {
		p.outs = map[slotKey][]*outSlot{}
	}
	p.outs[s.key] = append(p.outs[s.key], s)
}

// close destroys the free slots; slots still held downstream are destroyed on their release.
func (p *slotPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, l := range p.ins {
		for _, s := range l {
			s.t.Destroy()
		}
	}
	for _, l := range p.outs {
		for _, s := range l {
			s.destroy()
		}
	}
	p.ins, p.outs = nil, nil
}

// outputSlots is how many output slots have been made (tests).
func (p *slotPool) outputSlots() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.created
}
