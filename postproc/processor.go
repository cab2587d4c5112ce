// Package postproc turns a class map (probabilities or logits, C×H×W) into the anomaly components
// of Meta-OoD and their 37+2C hand-crafted metrics, exactly as the reference code computes them
// (docs/METHOD.md §1–3): normalized-entropy map, mask E ≥ t minus ignore, 8-connected
// components with interior/boundary, the E/D/V dispersion statistics, sizes, centre, mean class
// probabilities and neighbourhood class shares, and with ground truth the adjusted-IoU labels.
//
// It is pure Go and built for frame rates: only the entropy is computed on every pixel (one log per
// value for probabilities, one exp per value and one log per pixel for logits); everything else runs
// on the few component pixels and their neighbours. Buffers are pooled per Result, so a Processor
// used from several goroutines allocates nothing per frame once warm.
package postproc

import (
	"fmt"
	"image"
	"sync"
)

// Component is one connected anomaly component of the mask.
type Component struct {
	ID                       int             // 1-based, reference order (row-major first pixel)
	Area, Interior, Boundary int             // S, S_in, S_bd
	BBox                     image.Rectangle // in map pixels
	Centroid                 [2]float64      // x (column), y (row), in map pixels
}

// GTComponent is one 8-connected component of the ground-truth anomaly pixels (docs/METHOD.md §4), for
// counting false negatives: IoU0 = 1 when no predicted anomaly pixel lies on it.
type GTComponent struct {
	ID       int // 1-based, row-major order of the first pixel
	Area     int
	BBox     image.Rectangle
	Centroid [2]float64 // x (column), y (row)
	Overlap  int        // pixels of the component that are predicted anomalies
	IoU      float64    // adjusted IoU with the predicted mask (docs/METHOD.md §4 with the roles swapped)
	IoU0     uint8      // 1 = missed (false negative)
}

// Result is what Process returns. Its slices belong to a pool: call Release when done.
type Result struct {
	C, H, W      int
	Entropy      []float32 // H×W normalized entropy (the anomaly score)
	Argmax       []uint8   // H×W predicted class
	Labels       []int32   // H×W: +k interior, −k boundary of component k, 0 elsewhere
	Components   []Component
	Metrics      []float64 // len(Components) × NumMetrics(C), row-major, docs/METHOD.md §3 order
	IoU          []float64 // per component, only with GT
	IoU0         []uint8   // per component, only with GT: 1 = false positive
	GTComponents []GTComponent

	proc     *Processor
	released bool
	pm       []uint8 // padded (H+2)×(W+2) pixel map of bit* flags
	lab, aux labeller
	auxMap   []int32  // H×W component numbers of aux's runs (only run pixels are valid)
	stamp    []int32  // per aux component: last predicted component that counted it
	auxArea  []int    // per aux component: pixel count
	gtl      labeller // ground-truth components
	grp      byComp
	gtSums   []float64 // per GT component: Σ column, Σ row
	acc      []float64 // per component accumulators, accFixed+2C each
	pbuf     []float32 // C×blk probabilities of a run segment
	segBuf   []float32 // per-segment scratch of componentMetrics
}

// Row returns the metrics of component index i (0-based) as a view into Metrics.
func (r *Result) Row(i int) []float64 {
	n := NumMetrics(r.C)
	return r.Metrics[i*n : (i+1)*n]
}

// Release returns the buffers to the Processor's pool; r must not be used afterwards.
func (r *Result) Release() {
	if r == nil || r.released || r.proc == nil {
		return
	}
	r.released = true
	r.proc.pool.Put(r)
}

// Processor runs the post-processing. It is safe for concurrent use by several goroutines.
type Processor struct {
	opts Options
	err  error // from Options.Validate, returned by every Process
	pool sync.Pool
}

// New returns a Processor. Zero fields of opts take their defaults (see Options); invalid options
// make every Process call fail with ErrOptions.
func New(opts Options) *Processor {
	p := &Processor{opts: opts.withDefaults(), err: opts.Validate()}
	p.pool.New = func() any { return &Result{proc: p} }
	return p
}

// Options returns the options in effect (defaults filled in).
func (p *Processor) Options() Options { return p.opts }

// Process computes entropy, mask, components and metrics of one map (and labels with in.GT).
// Bad sizes, NaN/Inf values and probabilities that do not sum to 1 give an error naming the problem.
func (p *Processor) Process(in Input) (*Result, error) {
	if p.err != nil {
		return nil, p.err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	r := p.pool.Get().(*Result)
	r.released = false
	r.reset(in.C, in.H, in.W)
	hw := in.H * in.W
	var err error
	switch {
	case in.Disp != nil:
		err = r.takeDispersion(in.Disp, p.opts.Threshold)
	case in.Logits:
		err = entropyLogits(in.Data, in.C, in.W, hw, r.Entropy, r.Argmax)
	default:
		err = entropyProbs(in.Data, in.C, in.W, hw, r.Entropy, r.Argmax)
	}
	if err != nil {
		r.Release()
		return nil, err
	}
	r.buildMap(&in, p.opts)
	r.lab.label(r.pm, in.W, in.H, bitSeg, bitSeg)
	if in.Disp != nil {
		r.dispersionMetrics(in.Disp)
	} else {
		r.componentMetrics(&in)
	}
	if in.GT != nil {
		r.gtLabels()
		r.gtComponents()
	}
	return r, nil
}

// reset sizes the buffers for a C×H×W map, reusing their memory.
func (r *Result) reset(c, h, w int) {
	r.C, r.H, r.W = c, h, w
	hw := h * w
	r.Entropy = grow(r.Entropy, hw)
	r.Argmax = grow(r.Argmax, hw)
	r.Labels = grow(r.Labels, hw)
	clear(r.Labels)
	r.pm = grow(r.pm, (h+2)*(w+2))
	r.pbuf = grow(r.pbuf, c)
	r.Components = r.Components[:0]
	r.Metrics = r.Metrics[:0]
	r.IoU = r.IoU[:0]
	r.IoU0 = r.IoU0[:0]
	r.GTComponents = r.GTComponents[:0]
}

// grow returns s with length n, reallocating only when its capacity is too small.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// buildMap writes the padded pixel map: bitSeg where entropy ≥ threshold and the pixel is not
// ignored (ROI mask, or GT ignore label: removed before components form, docs/METHOD.md §2), bitGT where
// GT is the OOD label, bitOut on the one-pixel frame.
func (r *Result) buildMap(in *Input, o Options) {
	w, h, pw := r.W, r.H, r.W+2
	pm := r.pm
	for x := 0; x < pw; x++ {
		pm[x] = bitOut
		pm[(h+1)*pw+x] = bitOut
	}
	t := o.Threshold
	for y := 0; y < h; y++ {
		row := pm[(y+1)*pw : (y+2)*pw]
		row[0], row[w+1] = bitOut, bitOut
		row = row[1 : w+1]
		ent := r.Entropy[y*w : (y+1)*w]
		for x, e := range ent {
			var b uint8
			if e >= t {
				b = bitSeg
			}
			row[x] = b
		}
		if in.Ignore != nil {
			for x, ig := range in.Ignore[y*w : (y+1)*w] {
				if ig {
					row[x] &^= bitSeg
				}
			}
		}
		if in.GT != nil {
			for x, g := range in.GT[y*w : (y+1)*w] {
				switch g {
				case o.IgnoreLabel:
					row[x] &^= bitSeg
				case o.OODLabel:
					row[x] |= bitGT
				}
			}
		}
	}
}

// String summarises a result for logs and test failures.
func (r *Result) String() string {
	return fmt.Sprintf("postproc.Result{%dx%d, C=%d, %d components}", r.W, r.H, r.C, len(r.Components))
}
