package infer

import (
	"errors"
	"fmt"
	"image"
	"time"

	ort "github.com/yalue/onnxruntime_go"
	"gocv.io/x/gocv"

	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/onnx"
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
	key := slotKey{batch, h, w}
	in, err := e.slots.input(key)
	if err != nil {
		return fmt.Errorf("%w: input tensor: %v", ErrRun, err)
	}
	defer e.slots.putInput(key, in)
	plane := 3 * w * h
	for i, f := range frames {
		if err := e.preprocess(f, w, h, in.buf[i*plane:(i+1)*plane]); err != nil {
			return err
		}
	}
	clear(in.buf[n*plane:])

	var sl *outSlot
	if shape := e.knownShape(key); shape != nil {
		if sl, err = e.slots.output(key, int(shape[1]), int(shape[2]), int(shape[3]), e.head); err != nil {
			return fmt.Errorf("%w: output tensors: %v", ErrRun, err)
		}
		if err := e.sess.Run([]ort.Value{in.t}, sl.vals); err != nil {
			sl.refs.Store(1)
			sl.release()
			return fmt.Errorf("%w: %s: %s", ErrRun, e.cfg.ModelName, firstLine(err.Error()))
		}
	} else if sl, err = e.firstRun(key, in.t); err != nil {
		return err
	}
	if e.head {
		// The kept pixels' probabilities were allocated by this run: the slot holds them until released.
		t, ok := sl.vals[len(sl.vals)-1].(*ort.Tensor[float32])
		sl.vals[len(sl.vals)-1] = nil
		if !ok {
			sl.refs.Store(1)
			sl.release()
			return fmt.Errorf("%w: %s: the dispersion head's %s is not a float32 tensor", ErrModelIO, e.cfg.ModelName, onnx.DispMaskProbs)
		}
		sl.maskProbs = t
	}
	sl.refs.Store(int32(n))
	var split []frame.Dispersion
	if e.head {
		if split, err = e.splitDispersion(sl, n); err != nil {
			sl.refs.Store(1)
			sl.release()
			return err
		}
	}
	c, mh, mw := sl.c, sl.mh, sl.mw
	k := c
	if e.cfg.Classes > 0 {
		k = e.cfg.Classes
	}
	hw := mh * mw
	for i, f := range frames {
		o := &Output{Frame: f, C: k, H: mh, W: mw, owner: sl,
			ScaleX: float64(f.W) / float64(mw), ScaleY: float64(f.H) / float64(mh)}
		var check []float32
		if e.head {
			o.Disp = &split[i]
			check = o.Disp.Entropy // NaN logits make a NaN entropy
		} else {
			// Channels are class-major, so the first K channels of frame i are contiguous.
			o.Data = sl.logits[i*c*hw : i*c*hw+k*hw : i*c*hw+k*hw]
			check = o.Data
		}
		j := sampleNonFinite(check)
		if e.cfg.FullFiniteCheck {
			j = firstNonFinite(check)
		}
		if j >= 0 {
			errs[i] = fmt.Errorf("%w: %s gave %v at channel %d pixel (%d,%d) for frame %s/%d", ErrNonFinite, e.cfg.ModelName,
				check[j], j/hw, j%hw%mw, j%hw/mw, f.Source, f.Seq)
			sl.release()
			continue
		}
		outs[i] = o
	}
	e.met.frames.Add(float64(n))
	e.met.batch.Observe(float64(n))
	e.met.seconds.Observe(time.Since(t0).Seconds())
	return nil
}

// firstRun runs a dynamic model at a new input size: ONNX Runtime allocates the outputs, the
// engine learns their shape, makes the slot for that size and copies the outputs into it.
func (e *Engine) firstRun(key slotKey, in *ort.Tensor[float32]) (*outSlot, error) {
	res := make([]ort.Value, len(e.outNames))
	if err := e.sess.Run([]ort.Value{in}, res); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrRun, e.cfg.ModelName, firstLine(err.Error()))
	}
	keep := -1 // the index of an output handed on rather than copied
	defer func() {
		for i, v := range res {
			if i != keep && v != nil {
				v.Destroy()
			}
		}
	}()
	// Dense: the logits [N,C,H',W']; head: the entropy [N,H',W'] gives N, H', W', C is known.
	first, ok := res[0].(*ort.Tensor[float32])
	if !ok {
		return nil, fmt.Errorf("%w: %s output is %T, want a float32 tensor", ErrModelIO, e.cfg.ModelName, res[0])
	}
	shape := first.GetShape().Clone()
	if e.head {
		if len(shape) != 3 {
			return nil, fmt.Errorf("%w: %s: the dispersion head gave entropy of shape %v; want [N,H,W]", ErrModelIO, e.cfg.ModelName, shape)
		}
		shape = ort.NewShape(shape[0], int64(e.classes), shape[1], shape[2])
	}
	if err := e.checkOutShape(shape, key.batch); err != nil {
		return nil, err
	}
	sl, err := e.slots.output(key, int(shape[1]), int(shape[2]), int(shape[3]), e.head)
	if err != nil {
		return nil, fmt.Errorf("%w: output tensors: %v", ErrRun, err)
	}
	if !e.head {
		copy(sl.logits, first.GetData())
	} else {
		am, ok1 := res[1].(*ort.Tensor[uint8])
		t2, ok2 := res[2].(*ort.Tensor[float32])
		if !ok1 || !ok2 || len(am.GetData()) != len(sl.argmax) || len(t2.GetData()) != len(sl.top2) {
			sl.refs.Store(1)
			sl.release()
			return nil, fmt.Errorf("%w: %s: the dispersion head's outputs do not fit its entropy's shape %v", ErrModelIO, e.cfg.ModelName, first.GetShape())
		}
		copy(sl.ent, first.GetData())
		copy(sl.argmax, am.GetData())
		copy(sl.top2, t2.GetData())
		keep = len(res) - 1
		sl.vals[keep] = res[keep] // runGroup takes it from here
	}
	e.learnShape(key, shape)
	return sl, nil
}

// splitDispersion cuts the head's outputs of a batch into one Dispersion per frame: views of the
// slot's maps, and of the shared C×ΣM probabilities, each frame's M counted from its entropy.
func (e *Engine) splitDispersion(sl *outSlot, n int) ([]frame.Dispersion, error) {
	hw := sl.mh * sl.mw
	probs := sl.maskProbs.GetData()
	sh := sl.maskProbs.GetShape()
	if len(sh) != 2 || int(sh[0]) != e.classes {
		return nil, fmt.Errorf("%w: %s: the dispersion head's %s has shape %v; want [%d,M]", ErrModelIO, e.cfg.ModelName, onnx.DispMaskProbs, sh, e.classes)
	}
	stride := int(sh[1])
	out := make([]frame.Dispersion, n)
	off := 0
	for i := range out {
		ent := sl.ent[i*hw : (i+1)*hw : (i+1)*hw]
		m := 0
		for _, v := range ent {
			if v >= e.headThreshold {
				m++
			}
		}
		out[i] = frame.Dispersion{Entropy: ent, Argmax: sl.argmax[i*hw : (i+1)*hw : (i+1)*hw],
			Top2: sl.top2[2*i*hw : 2*(i+1)*hw : 2*(i+1)*hw], M: m, Stride: stride, Threshold: e.headThreshold}
		if m > 0 {
			out[i].MaskProbs = probs[off:]
		}
		off += m
	}
	// Padding frames of a fixed batch count too: the columns must add up over the whole batch.
	for i := n; i < sl.key.batch; i++ {
		for _, v := range sl.ent[i*hw : (i+1)*hw] {
			if v >= e.headThreshold {
				off++
			}
		}
	}
	if off != stride {
		return nil, fmt.Errorf("%w: %s: the dispersion head kept %d pixels but %d have entropy ≥ %v", ErrModelIO, e.cfg.ModelName, stride, off, e.headThreshold)
	}
	return out, nil
}

// knownShape is the [N,C,H',W'] shape of the maps a run at key gives (C: the kept classes with the
// dispersion head), or nil when a dynamic model has not yet run at that size.
func (e *Engine) knownShape(key slotKey) ort.Shape {
	if e.outDims.Validate() == nil && int(e.outDims[0]) == key.batch { // fully static output
		if e.head {
			return ort.NewShape(e.outDims[0], int64(e.classes), e.outDims[2], e.outDims[3])
		}
		return e.outDims
	}
	e.shapeMu.Lock()
	defer e.shapeMu.Unlock()
	return e.shapes[key]
}

func (e *Engine) learnShape(key slotKey, s ort.Shape) {
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
			maps[i] = &frame.Map{Frame: o.Frame, C: o.C, H: o.H, W: o.W, Data: o.Data, Disp: o.Disp, ScaleX: o.ScaleX, ScaleY: o.ScaleY, Release: o.Release}
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
