package postproc

import (
	"sync"

	"github.com/metaood/metaood/frame"
)

// Region is an area of the frame in fractions of its width and height (event.Corridor is one):
// pixels whose centre lies outside the region of interest are never anomalies (the ego hood).
type Region interface {
	Contains(fx, fy float64) bool
}

// MapAnalyzer runs a Processor on a run's segmentation maps: logits or probabilities, with an
// optional region of interest. Safe for the pipeline's concurrent workers.
type MapAnalyzer struct {
	p      *Processor
	logits bool
	roi    *regionMasks // nil: the whole map
}

// NewMapAnalyzer returns the analyzer of maps holding logits (else probabilities); roi nil
// keeps the whole map.
func NewMapAnalyzer(o Options, logits bool, roi Region) *MapAnalyzer {
	a := &MapAnalyzer{p: New(o), logits: logits}
	if roi != nil {
		a.roi = &regionMasks{region: roi}
	}
	return a
}

// Analyze computes the components and metrics of one map; the caller releases the result.
func (a *MapAnalyzer) Analyze(m *frame.Map) (*Result, error) {
	in := Input{C: m.C, H: m.H, W: m.W, Data: m.Data, Logits: a.logits, Disp: m.Disp}
	if a.roi != nil {
		in.Ignore = a.roi.mask(m.W, m.H)
	}
	return a.p.Process(in)
}

// regionMasks rasterizes the region once per map size: maps of one source keep their size, so
// this is a lookup per frame.
type regionMasks struct {
	region Region
	mu     sync.Mutex
	masks  map[[2]int][]bool
}

// mask returns the w×h ignore mask: true outside the region (pixel centres, in fractions).
func (r *regionMasks) mask(w, h int) []bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.masks[[2]int{w, h}]; ok {
		return m
	}
	m := make([]bool, w*h)
	for y := range h {
		fy := (float64(y) + 0.5) / float64(h)
		for x := range w {
			m[y*w+x] = !r.region.Contains((float64(x)+0.5)/float64(w), fy)
		}
	}
	if r.masks == nil {
		r.masks = map[[2]int][]bool{}
	}
	r.masks[[2]int{w, h}] = m
	return m
}
