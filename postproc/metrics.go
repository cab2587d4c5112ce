package postproc

import (
	"image"
	"math"
)

// Per-component accumulator slots (float64; sums of float32 pixel values taken in float64, as the
// reference does). The C cprob sums and C ndist counts follow.
const (
	aEin, aE2in, aEbd, aE2bd = 0, 1, 2, 3
	aDin, aD2in, aDbd, aD2bd = 4, 5, 6, 7
	aVin, aV2in, aVbd, aV2bd = 8, 9, 10, 11
	aNin, aNbd               = 12, 13
	aRow, aCol               = 14, 15
	aGT                      = 16 // |K ∩ G|
	accFixed                 = 17
)

// eps32 is float32 machine epsilon, the ε of the E heat map (docs/METHOD.md §3).
const eps32 = 1.1920929e-07

// Offsets of the 8 neighbours in the padded map are ±1, ±pw, ±pw±1; in the image ±1, ±w, ±w±1.

// componentMetrics walks the component runs once: per pixel it decides interior/boundary,
// counts the neighbourhood classes, evaluates E, D, V from the pixel's probabilities and
// accumulates them, then turns the sums into the 37+2C metrics.
func (r *Result) componentMetrics(in *Input) {
	c, w, hw := r.C, r.W, r.H*r.W
	pw := w + 2
	stride, nbP, nbI := r.startComponents()
	invLog := float32(1 / math.Log(1/float64(c))) // E = Σ p ln(p+ε) / ln(1/C)
	pm, amax, data := r.pm, r.Argmax, in.Data
	r.pbuf = grow(r.pbuf, c*blk)
	P := r.pbuf // P[cl*blk+j]: probability of class cl at pixel j of the segment
	// Segment scratch lives in the Result: the kernels are called through variables (scalar or
	// AVX2), so stack arrays passed to them would escape and cost an allocation per frame.
	r.segBuf = grow(r.segBuf, 5*blk)
	eA, p1A, p2A, sA, mxA := r.segBuf[0:blk], r.segBuf[blk:2*blk], r.segBuf[2*blk:3*blk], r.segBuf[3*blk:4*blk], r.segBuf[4*blk:]
	for _, ru := range r.lab.runs {
		k := int(ru.comp)
		a := r.acc[(k-1)*stride : k*stride]
		cprob, ndist := a[accFixed:accFixed+c], a[accFixed+c:]
		comp := &r.Components[k-1]
		y := int(ru.y)
		comp.BBox.Min.X = min(comp.BBox.Min.X, int(ru.x0))
		comp.BBox.Max.X = max(comp.BBox.Max.X, int(ru.x1))
		comp.BBox.Min.Y = min(comp.BBox.Min.Y, y)
		comp.BBox.Max.Y = max(comp.BBox.Max.Y, y+1)
		// A run is contiguous in every class plane: handle it in segments of up to blk pixels,
		// class plane by class plane, like the entropy pass.
		for x0 := int(ru.x0); x0 < int(ru.x1); x0 += blk {
			n := min(blk, int(ru.x1)-x0)
			i0 := y*w + x0
			// The kernels run on nv ≥ n lanes (whole vectors where the map allows); the extra
			// lanes read finite pixels after the run and their results are not used.
			nv := min((n+7)&^7, blk, hw-i0)
			ev, p1, p2 := eA[:nv], p1A[:nv], p2A[:nv]
			clear(ev)
			clear(p1)
			clear(p2)
			if in.Logits {
				s, mx := sA[:nv], mxA[:nv]
				clear(s)
				for j := range mx {
					mx[j] = data[int(amax[i0+j])*hw+i0+j]
				}
				for cl := 0; cl < c; cl++ {
					expTo(P[cl*blk:cl*blk+nv], s, mx, data[cl*hw+i0:cl*hw+i0+nv])
				}
				for j := range s {
					s[j] = 1 / s[j]
				}
				for cl := 0; cl < c; cl++ {
					pl := P[cl*blk : cl*blk+nv]
					for j := range pl {
						pl[j] *= s[j]
					}
				}
			}
			for cl := 0; cl < c; cl++ {
				pl := data[cl*hw+i0 : cl*hw+i0+nv] // probabilities: read in place
				if in.Logits {
					pl = P[cl*blk : cl*blk+nv]
				}
				plogpEps(ev, pl)
				kTop2(p1, p2, pl)
				var sum float64
				for _, v := range pl[:n] {
					sum += float64(v)
				}
				cprob[cl] += sum
			}
			for j := 0; j < n; j++ {
				x := x0 + j
				i := i0 + j
				q := (y+1)*pw + x + 1
				boundary := false
				for t, o := range nbP {
					// Out-of-image neighbours (bitOut) are not looked at (docs/METHOD.md §2); an ignored
					// or unpredicted in-image neighbour makes z boundary and counts its class.
					if pm[q+o]&(bitSeg|bitOut) == 0 {
						boundary = true
						ndist[amax[i+nbI[t]]]++
					}
				}
				r.addPixel(a, i, k, x, y, boundary, pm[q]&bitGT != 0, float64(ev[j]*invLog), float64(1-p1[j]+p2[j]), float64(1-p1[j]))
			}
		}
	}
	r.finishMetrics()
}

// startComponents clears the per-component sums and components for r.lab's components, and
// returns the sums' stride and the 8 neighbours' offsets in the padded mask (pw = W+2) and in
// the image.
func (r *Result) startComponents() (stride int, nbP, nbI [8]int) {
	c, w, n := r.C, r.W, r.lab.n
	pw := w + 2
	stride = accFixed + 2*c
	r.acc = grow(r.acc, n*stride)
	clear(r.acc)
	r.Components = grow(r.Components, n)
	for k := range r.Components {
		r.Components[k] = Component{ID: k + 1, BBox: image.Rectangle{Min: image.Pt(math.MaxInt32, math.MaxInt32)}}
	}
	nbP = [8]int{-pw - 1, -pw, -pw + 1, -1, 1, pw - 1, pw, pw + 1}
	nbI = [8]int{-w - 1, -w, -w + 1, -1, 1, w - 1, w, w + 1}
	return stride, nbP, nbI
}

// addPixel adds pixel i (at x, y) of component k to the component's sums a: its entropy e,
// probability margin d and variation ratio v, to the interior or the boundary part.
func (r *Result) addPixel(a []float64, i, k, x, y int, boundary, gt bool, e, d, v float64) {
	off := 0
	if boundary {
		off = 2
		a[aNbd]++
		r.Labels[i] = int32(-k)
	} else {
		a[aNin]++
		r.Labels[i] = int32(k)
	}
	a[aEin+off] += e
	a[aE2in+off] += e * e
	a[aDin+off] += d
	a[aD2in+off] += d * d
	a[aVin+off] += v
	a[aV2in+off] += v * v
	a[aRow] += float64(y)
	a[aCol] += float64(x)
	if gt {
		a[aGT]++
	}
}

// finishMetrics turns the per-component sums in r.acc into the 37+2C metrics and the
// components' areas and centroids.
func (r *Result) finishMetrics() {
	c, n := r.C, r.lab.n
	stride := accFixed + 2*c
	nm := NumMetrics(c)
	r.Metrics = grow(r.Metrics, n*nm)
	col := layoutFor(c).col
	for k := 0; k < n; k++ {
		a := r.acc[k*stride : (k+1)*stride]
		row := r.Metrics[k*nm : (k+1)*nm]
		nin, nbd := a[aNin], a[aNbd]
		s := nin + nbd
		comp := &r.Components[k]
		comp.Area, comp.Interior, comp.Boundary = int(s), int(nin), int(nbd)
		comp.Centroid = [2]float64{a[aCol] / s, a[aRow] / s}
		// S_bd = 0 only when one component fills the whole image; the reference divides by zero
		// there (docs/METHOD.md §3). We follow the S_in = 0 convention instead: the ratio is 0.
		srel, srelIn := div0(s, nbd), div0(nin, nbd)
		family(row, col, natD, a[aDin:aDin+4], nin, nbd, srel, srelIn)
		family(row, col, natE, a[aEin:aEin+4], nin, nbd, srel, srelIn)
		family(row, col, natV, a[aVin:aVin+4], nin, nbd, srel, srelIn)
		row[col[natS]] = s
		row[col[natS+1]] = nbd
		row[col[natS+2]] = nin
		row[col[natS+3]] = srel
		row[col[natS+4]] = srelIn
		var total float64
		for cl := 0; cl < c; cl++ {
			row[col[natCprob+cl]] = a[accFixed+cl] / s
			total += a[accFixed+c+cl]
		}
		row[col[natCprob+c]] = a[aRow] / s   // mean_x: row
		row[col[natCprob+c+1]] = a[aCol] / s // mean_y: column
		total = max(total, 1)
		for cl := 0; cl < c; cl++ {
			row[col[natCprob+c+2+cl]] = a[accFixed+c+cl] / total
		}
	}
}

// family writes the 10 statistics of one heat map from its sums [Σin, Σ²in, Σbd, Σ²bd].
func family(row []float64, col []int, at int, sums []float64, nin, nbd, srel, srelIn float64) {
	s := nin + nbd
	mean := (sums[0] + sums[2]) / s
	meanIn, meanBd := div0(sums[0], nin), div0(sums[2], nbd)
	v := (sums[1]+sums[3])/s - mean*mean
	var vIn, vBd float64
	if nin > 0 {
		vIn = sums[1]/nin - meanIn*meanIn
	}
	if nbd > 0 {
		vBd = sums[3]/nbd - meanBd*meanBd
	}
	// familySuffixes order: h, _bd, _in, _rel, _rel_in, _var, _var_bd, _var_in, _var_rel, _var_rel_in
	row[col[at]] = mean
	row[col[at+1]] = meanBd
	row[col[at+2]] = meanIn
	row[col[at+3]] = mean * srel
	row[col[at+4]] = meanIn * srelIn
	row[col[at+5]] = v
	row[col[at+6]] = vBd
	row[col[at+7]] = vIn
	row[col[at+8]] = v * srel
	row[col[at+9]] = vIn * srelIn
}

// div0 is a/b, or 0 when b is 0 (the reference's rule for empty interiors, docs/METHOD.md §3).
func div0(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
