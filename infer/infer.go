package infer

import (
	"errors"
	"fmt"
	"image"
	"time"

	ort "github.com/yalue/onnxruntime_go"
	"gocv.io/x/gocv"

	"github.com/metaood/metaood/frame"
)

// Infer runs frames through the model, in groups of at most the batch size (frames of one
// input size per group), and returns one Output per frame, in order. On error nothing is
// returned and every buffer is back in the pool.
func (e *Engine) Infer(frames []*frame.Frame) ([]*Output, error) {
	outs, errs, fatal := e.infer(frames)
	if fatal == nil {
		fatal = errors.Join(errs...)
	}
	if fatal != nil {
		for _, o := range outs {
			if o != nil {
				o.Release()
			}
		}
		return nil, fatal
	}
	return outs, nil
}

// InferFrames is Infer with per-frame errors: for each frame i either outs[i] or errs[i] is set
// (a malformed frame, a NaN output, a failed run of its group). err is set, and outs empty,
// only when no frame can succeed (engine closed, the model breaking its contract).
func (e *Engine) InferFrames(frames []*frame.Frame) (outs []*Output, errs []error, err error) {
	outs, errs, err = e.infer(frames)
	if err != nil {
		releaseAll(outs)
		return nil, nil, err
	}
	return outs, errs, nil
}

// infer returns per-frame results: outs[i] or errs[i] is set for frame i. fatal is an error that
// no further frame can escape (closed engine, a model breaking its contract).
func (e *Engine) infer(frames []*frame.Frame) (outs []*Output, errs []error, fatal error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, nil, ErrClosed
	}
	outs = make([]*Output, len(frames))
	errs = make([]error, len(frames))
	for start := 0; start < len(frames); {
		f := frames[start]
		if f == nil {
			errs[start] = fmt.Errorf("%w: nil frame", ErrFrame)
			start++
			continue
		}
		if err := f.Validate(); err != nil {
			errs[start] = fmt.Errorf("%w: %v", ErrFrame, err)
			start++
			continue
		}
		w, h := e.targetSize(f)
		end := start + 1
		for end < len(frames) && end-start < e.maxBatch() && frames[end] != nil && frames[end].Validate() == nil {
			if w2, h2 := e.targetSize(frames[end]); w2 != w || h2 != h {
				break
			}
			end++
		}
		if err := e.runGroup(frames[start:end], w, h, outs[start:end], errs[start:end]); err != nil {
			if errors.Is(err, ErrModelIO) {
				return outs, errs, err
			}
			for i := start; i < end; i++ {
				errs[i] = err
			}
		}
		start = end
	}
	for _, err := range errs {
		if err != nil {
			e.met.errors.Inc()
		}
	}
	return outs, errs, nil
}

// targetSize is the model input size for frame f.
func (e *Engine) targetSize(f *frame.Frame) (w, h int) {
	if e.inDims[2] > 0 {
		return int(e.inDims[3]), int(e.inDims[2])
	}
	if e.cfg.InputW > 0 {
		return e.cfg.InputW, e.cfg.InputH
	}
	return f.W, f.H
}

// runGroup runs frames (all resized to w×h) in one session run, filling outs and errs.
func (e *Engine) runGroup(frames []*frame.Frame, w, h int, outs []*Output, errs []error) error {
	t0 := time.Now()
	n := len(frames)
	batch := n
	if fixed := e.inDims[0]; fixed > 0 {
		batch = int(fixed) // a fixed-batch export: pad with zeros
	}
	plane := 3 * w * h
	in := e.pool.get(batch * plane)
	defer e.pool.put(in)
	for i, f := range frames {
		if err := e.preprocess(f, w, h, in[i*plane:(i+1)*plane]); err != nil {
			return err
		}
	}
	clear(in[n*plane:])
	inT, err := ort.NewTensor(ort.NewShape(int64(batch), 3, int64(h), int64(w)), in)
	if err != nil {
		return fmt.Errorf("%w: input tensor: %v", ErrRun, err)
	}
	defer inT.Destroy()

	key := [3]int64{int64(batch), int64(h), int64(w)}
	shape := e.knownShape(key)
	var buf []float32
	if shape != nil {
		buf = e.pool.get(int(shape.FlattenedSize()))
		outT, err := ort.NewTensor(shape, buf)
		if err != nil {
			e.pool.put(buf)
			return fmt.Errorf("%w: output tensor: %v", ErrRun, err)
		}
		err = e.sess.Run([]ort.Value{inT}, []ort.Value{outT})
		outT.Destroy()
		if err != nil {
			e.pool.put(buf)
			return fmt.Errorf("%w: %s: %s", ErrRun, e.cfg.ModelName, firstLine(err.Error()))
		}
	} else {
		// First run at this size of a dynamic model: let ONNX Runtime allocate, learn the shape.
		res := []ort.Value{nil}
		if err := e.sess.Run([]ort.Value{inT}, res); err != nil {
			return fmt.Errorf("%w: %s: %s", ErrRun, e.cfg.ModelName, firstLine(err.Error()))
		}
		t, ok := res[0].(*ort.Tensor[float32])
		if !ok {
			res[0].Destroy()
			return fmt.Errorf("%w: %s output is %T, want a float32 tensor", ErrModelIO, e.cfg.ModelName, res[0])
		}
		shape = t.GetShape().Clone()
		if err := e.checkOutShape(shape, batch); err != nil {
			t.Destroy()
			return err
		}
		buf = e.pool.get(int(shape.FlattenedSize()))
		copy(buf, t.GetData())
		t.Destroy()
		e.learnShape(key, shape)
	}

	c, mh, mw := int(shape[1]), int(shape[2]), int(shape[3])
	k := c
	if e.cfg.Classes > 0 {
		k = e.cfg.Classes
	}
	hw := mh * mw
	sh := &shared{buf: buf, pool: &e.pool}
	sh.refs.Store(int32(n))
	for i, f := range frames {
		// Channels are class-major, so the first K channels of frame i are contiguous.
		data := buf[i*c*hw : i*c*hw+k*hw : i*c*hw+k*hw]
		{
			j := sampleNonFinite(data)
			if e.cfg.FullFiniteCheck {
				j = firstNonFinite(data)
			}
			if j >= 0 {
				errs[i] = fmt.Errorf("%w: %s gave %v at channel %d pixel (%d,%d) for frame %s/%d", ErrNonFinite, e.cfg.ModelName,
					data[j], j/hw, j%hw%mw, j%hw/mw, f.Source, f.Seq)
				sh.release()
				continue
			}
		}
		outs[i] = &Output{Frame: f, C: k, H: mh, W: mw, Data: data, owner: sh,
			ScaleX: float64(f.W) / float64(mw), ScaleY: float64(f.H) / float64(mh)}
	}
	e.met.frames.Add(float64(n))
	e.met.batch.Observe(float64(n))
	e.met.seconds.Observe(time.Since(t0).Seconds())
	return nil
}

func (e *Engine) knownShape(key [3]int64) ort.Shape {
	if e.outDims.Validate() == nil && e.outDims[0] == key[0] { // fully static output
		return e.outDims
	}
	e.shapeMu.Lock()
	defer e.shapeMu.Unlock()
	return e.shapes[key]
}

func (e *Engine) learnShape(key [3]int64, s ort.Shape) {
	e.shapeMu.Lock()
	defer e.shapeMu.Unlock()
	e.shapes[key] = s
	if e.classes == 0 {
		e.classes = int(s[1])
		if e.cfg.Classes > 0 {
			e.classes = e.cfg.Classes
		}
	}
}

// checkOutShape checks an output shape learnt at run time (dynamic models).
func (e *Engine) checkOutShape(s ort.Shape, batch int) error {
	if len(s) != 4 || s[0] != int64(batch) || s[2] <= 0 || s[3] <= 0 {
		return fmt.Errorf("%w: %s returned shape %v for a batch of %d; want [N,C,H,W]", ErrModelIO, e.cfg.ModelName, s, batch)
	}
	if int(s[1]) < e.cfg.Classes {
		return fmt.Errorf("%w: %s output has %d channels but %d classes are asked for", ErrModelIO, e.cfg.ModelName, s[1], e.cfg.Classes)
	}
	return nil
}

// preprocess resizes f to w×h (bilinear) and writes the preset's planar floats into dst (3×h×w).
func (e *Engine) preprocess(f *frame.Frame, w, h int, dst []float32) error {
	pix := f.Pix
	if f.W != w || f.H != h {
		src, err := gocv.NewMatFromBytes(f.H, f.W, gocv.MatTypeCV8UC3, f.Pix)
		if err != nil {
			return fmt.Errorf("%w: frame %s/%d: %v", ErrFrame, f.Source, f.Seq, err)
		}
		defer src.Close()
		dm := gocv.NewMat()
		defer dm.Close()
		gocv.Resize(src, &dm, image.Pt(w, h), 0, 0, gocv.InterpolationLinear)
		pix, err = dm.DataPtrUint8()
		if err != nil || len(pix) != 3*w*h {
			return fmt.Errorf("%w: resizing frame %s/%d to %dx%d failed", ErrRun, f.Source, f.Seq, w, h)
		}
	}
	toPlanar(pix, dst, w*h, &e.lut, e.src)
	return nil
}

// toPlanar converts n BGR24 pixels into three planes of floats via per-channel tables.
func toPlanar(pix []byte, dst []float32, n int, lut *[3][256]float32, src [3]int) {
	p0, p1, p2 := dst[:n], dst[n:2*n], dst[2*n:3*n]
	l0, l1, l2 := &lut[0], &lut[1], &lut[2]
	s0, s1, s2 := src[0], src[1], src[2]
	pix = pix[:3*n]
	for i := range n {
		px := pix[3*i : 3*i+3 : 3*i+3]
		p0[i] = l0[px[s0]]
		p1[i] = l1[px[s1]]
		p2[i] = l2[px[s2]]
	}
}

// sampleNonFinite checks about 4096 values spread over v (and its last one): the index of a
// NaN or ±Inf found, or -1.
func sampleNonFinite(v []float32) int {
	if len(v) == 0 {
		return -1
	}
	step := max(1, len(v)/4096)
	for i := 0; i < len(v); i += step {
		if x := v[i]; x-x != 0 {
			return i
		}
	}
	if x := v[len(v)-1]; x-x != 0 {
		return len(v) - 1
	}
	return -1
}

// firstNonFinite returns the index of the first NaN or ±Inf in v, or -1.
func firstNonFinite(v []float32) int {
	for i, x := range v {
		if x-x != 0 { // NaN-NaN and Inf-Inf are NaN; finite x-x is 0
			return i
		}
	}
	return -1
}

// Segment runs frames through the model and returns one map per frame, in order: what the
// pipeline's inference stage calls. A frame whose input or output is bad (ErrFrame, ErrNonFinite)
// gets a map with Err set and the run goes on; any other failure is returned, with every buffer
// back in the pool.
func (e *Engine) Segment(frames []*frame.Frame) ([]*frame.Map, error) {
	outs, errs, err := e.InferFrames(frames)
	if err != nil {
		return nil, err
	}
	maps := make([]*frame.Map, len(frames))
	for i, f := range frames {
		switch o, ferr := outs[i], errs[i]; {
		case ferr == nil:
			maps[i] = &frame.Map{Frame: o.Frame, C: o.C, H: o.H, W: o.W, Data: o.Data, ScaleX: o.ScaleX, ScaleY: o.ScaleY, Release: o.Release}
		case errors.Is(ferr, ErrNonFinite) || errors.Is(ferr, ErrFrame):
			maps[i] = &frame.Map{Frame: f, Err: ferr}
		default:
			releaseAll(outs)
			return nil, ferr
		}
	}
	return maps, nil
}
func releaseAll(outs []*Output) {
	for _, o := range outs {
		if o != nil {
			o.Release()
		}
	}
}
