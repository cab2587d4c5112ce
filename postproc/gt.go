package postproc

import (
	"image"
	"math"
)

// byComp is a counting sort of a labeller's runs by component: the runs of component k are
// order[start[k-1]:start[k]]. Runs come row-interleaved from the labeller; per-component walks
// need them grouped so that "already counted for this component" stamps work.
type byComp struct {
	order []int32
	start []int32
}

func (b *byComp) group(l *labeller) {
	b.start = grow(b.start, l.n+1)
	clear(b.start)
	for _, ru := range l.runs {
		b.start[ru.comp]++
	}
	for k := 1; k <= l.n; k++ {
		b.start[k] += b.start[k-1]
	}
	b.order = grow(b.order, len(l.runs))
	for i := len(l.runs) - 1; i >= 0; i-- { // backwards, so each group keeps row order
		k := l.runs[i].comp
		b.start[k]--
		b.order[b.start[k]] = int32(i)
	}
	// start[k] is now the first index of component k (1-based; start[0] = 0 untouched).
	// Shift so that component k spans start[k-1]:start[k].
	copy(b.start, b.start[1:])
	b.start[l.n] = int32(len(l.runs))
}

// runs returns the run indices of component k (1-based).
func (b *byComp) runs(k int) []int32 { return b.order[b.start[k-1]:b.start[k]] }

// touching sums the areas of the other-side components (labelled in aux, numbered in auxMap) that
// are 8-adjacent to the pixels of runs, counting each once. A pixel q qualifies when pm[q]&and == eq.
// stamp holds, per other-side component, the last key that counted it.
func (r *Result) touching(runs []run, idx []int32, and, eq uint8, key int32) int {
	w, pw := r.W, r.W+2
	nbP := [8]int{-pw - 1, -pw, -pw + 1, -1, 1, pw - 1, pw, pw + 1}
	nbI := [8]int{-w - 1, -w, -w + 1, -1, 1, w - 1, w, w + 1}
	sum := 0
	for _, ix := range idx {
		ru := runs[ix]
		y := int(ru.y)
		for x := int(ru.x0); x < int(ru.x1); x++ {
			i, q := y*w+x, (y+1)*pw+x+1
			for j, o := range nbP {
				if r.pm[q+o]&and != eq {
					continue
				}
				g := r.auxMap[i+nbI[j]]
				if r.stamp[g] != key {
					r.stamp[g] = key
					sum += r.auxArea[g]
				}
			}
		}
	}
	return sum
}

// labelAux labels the pixels with pm&and == eq into r.aux and records their component numbers
// (auxMap) and areas (auxArea); stamps are reset.
func (r *Result) labelAux(and, eq uint8) {
	r.aux.label(r.pm, r.W, r.H, and, eq)
	r.auxMap = grow(r.auxMap, r.H*r.W)
	r.auxArea = grow(r.auxArea, r.aux.n+1)
	clear(r.auxArea)
	r.stamp = grow(r.stamp, r.aux.n+1)
	clear(r.stamp)
	for _, ru := range r.aux.runs {
		row := r.auxMap[int(ru.y)*r.W : int(ru.y+1)*r.W]
		for x := ru.x0; x < ru.x1; x++ {
			row[x] = ru.comp
		}
		r.auxArea[ru.comp] += int(ru.x1 - ru.x0)
	}
}

// gtLabels computes iou and iou0 of every predicted component (docs/METHOD.md §4): I = |K ∩ G|;
// U = |K| + |A(K)| with A(K) the components of "GT anomaly, not predicted" 8-adjacent to K.
// GT pixels covered by other predicted components are not in the union.
func (r *Result) gtLabels() {
	n := r.lab.n
	r.IoU = grow(r.IoU, n)
	r.IoU0 = grow(r.IoU0, n)
	stride := accFixed + 2*r.C
	r.labelAux(bitGT|bitSeg, bitGT)
	r.grp.group(&r.lab)
	for k := 1; k <= n; k++ {
		inter := r.acc[(k-1)*stride+aGT]
		if inter == 0 { // the reference skips the search then (docs/METHOD.md §4)
			r.IoU[k-1], r.IoU0[k-1] = 0, 1
			continue
		}
		a := r.touching(r.lab.runs, r.grp.runs(k), bitGT|bitSeg, bitGT, int32(k))
		r.IoU[k-1] = inter / (float64(r.Components[k-1].Area) + float64(a))
		r.IoU0[k-1] = 0
	}
}

// gtComponents finds the 8-connected components of the GT anomaly pixels and their overlap and
// adjusted IoU with the predicted mask (docs/METHOD.md §4): a component with no predicted pixel is a miss.
func (r *Result) gtComponents() {
	// Components of G itself: a labeller of its own, so that aux can hold "predicted, not GT".
	r.gtl.label(r.pm, r.W, r.H, bitGT, bitGT)
	n := r.gtl.n
	r.GTComponents = grow(r.GTComponents, n)
	for k := range r.GTComponents {
		r.GTComponents[k] = GTComponent{ID: k + 1, BBox: image.Rectangle{Min: image.Pt(math.MaxInt32, math.MaxInt32)}}
	}
	pw := r.W + 2
	sums := grow(r.gtSums, 2*n)
	clear(sums)
	r.gtSums = sums
	for _, ru := range r.gtl.runs {
		g := &r.GTComponents[ru.comp-1]
		y := int(ru.y)
		g.BBox.Min.X = min(g.BBox.Min.X, int(ru.x0))
		g.BBox.Max.X = max(g.BBox.Max.X, int(ru.x1))
		g.BBox.Min.Y = min(g.BBox.Min.Y, y)
		g.BBox.Max.Y = max(g.BBox.Max.Y, y+1)
		for x := int(ru.x0); x < int(ru.x1); x++ {
			g.Area++
			sums[2*(ru.comp-1)] += float64(x)
			sums[2*(ru.comp-1)+1] += float64(y)
			if r.pm[(y+1)*pw+x+1]&bitSeg != 0 {
				g.Overlap++
			}
		}
	}
	r.labelAux(bitGT|bitSeg, bitSeg)
	r.grp.group(&r.gtl)
	for k := 1; k <= n; k++ {
		g := &r.GTComponents[k-1]
		a := float64(g.Area)
		g.Centroid = [2]float64{sums[2*(k-1)] / a, sums[2*(k-1)+1] / a}
		if g.Overlap == 0 {
			g.IoU, g.IoU0 = 0, 1
			continue
		}
		u := r.touching(r.gtl.runs, r.grp.runs(k), bitGT|bitSeg, bitSeg, int32(k))
		g.IoU = float64(g.Overlap) / (a + float64(u))
	}
}
