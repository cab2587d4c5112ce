//go:build goexperiment.simd && amd64

package postproc

import (
	"math"
	"simd/archsimd"
)

// AVX2+FMA versions of the entropy-pass block kernels (built with GOEXPERIMENT=simd on amd64).
// Sixteen pixels at a time, all C classes in registers; the full-frame logs by a table and a short
// polynomial (tlog, ~2e-8), exps and the component pixels' logs by the Cephes polynomials (~1 ulp),
// so results match the scalar kernels to ~2e-7.

func init() {
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		probsBlock, logitsBlock = simdProbsBlock, simdLogitsBlock
		plogpEps, expTo = simdPlogpEps, simdExpTo
		simdActive = true
	}
}

// Cephes logf coefficients (x in [√½, √2) − 1).
const (
	lc0 = 7.0376836292e-2
	lc1 = -1.1514610310e-1
	lc2 = 1.1676998740e-1
	lc3 = -1.2420140846e-1
	lc4 = 1.4249322787e-1
	lc5 = -1.6668057665e-1
	lc6 = 2.0000714765e-1
	lc7 = -2.4999993993e-1
	lc8 = 3.3333331174e-1
)

// vlogConsts are the broadcast constants of the vector log.
type vlogConsts struct {
	minNorm                            archsimd.Uint32x8
	sqrtHalf                           archsimd.Int32x8
	one, mhalf, q1, q2                 archsimd.Float32x8
	c0, c1, c2, c3, c4, c5, c6, c7, c8 archsimd.Float32x8
}

func newVlog() vlogConsts {
	b := archsimd.BroadcastFloat32x8
	return vlogConsts{
		minNorm: archsimd.BroadcastUint32x8(0x00800000), sqrtHalf: archsimd.BroadcastInt32x8(0x3f3504f3),
		one: b(1), mhalf: b(-0.5), q1: b(-2.12194440e-4), q2: b(0.693359375),
		c0: b(lc0), c1: b(lc1), c2: b(lc2), c3: b(lc3), c4: b(lc4), c5: b(lc5), c6: b(lc6), c7: b(lc7), c8: b(lc8),
	}
}

// log returns ln x lane-wise; 0 and subnormals are taken as the smallest normal.
func (v *vlogConsts) log(x archsimd.Float32x8) archsimd.Float32x8 {
	bi := x.AsUint32x8().Max(v.minNorm).AsInt32x8()
	e := bi.Sub(v.sqrtHalf).ShiftAllRight(23) // arithmetic: exponent such that m ∈ [√½, √2)
	m := bi.Sub(e.ShiftAllLeft(23)).AsFloat32x8()
	f := m.Sub(v.one)
	z := f.Mul(f)
	y := v.c0.MulAdd(f, v.c1)
	y = y.MulAdd(f, v.c2)
	y = y.MulAdd(f, v.c3)
	y = y.MulAdd(f, v.c4)
	y = y.MulAdd(f, v.c5)
	y = y.MulAdd(f, v.c6)
	y = y.MulAdd(f, v.c7)
	y = y.MulAdd(f, v.c8)
	y = y.Mul(f).Mul(z)
	fe := e.ConvertToFloat32()
	y = fe.MulAdd(v.q1, y)
	y = z.MulAdd(v.mhalf, y)
	return fe.MulAdd(v.q2, f.Add(y))
}

// simdProbsBlock runs the AVX2 kernel on the whole vectors of the block and the scalar one on the
// rest. The AVX2 kernels take no float parameters and end with VZEROUPPER: a legacy-SSE float
// instruction (Go's scalar floats) meeting dirty upper AVX halves costs a state transition or a
// false dependency on many CPUs, and a scalar reload inside a vector loop made this pass 4x slower.
func simdProbsBlock(data []float32, c, hw, off int, ent []float32, amax []uint8, invLnC float32) bool {
	n8 := len(ent) &^ 15
	if n8 > 0 {
		inv := [8]float32{invLnC, invLnC, invLnC, invLnC, invLnC, invLnC, invLnC, invLnC}
		if !probsAVX2(data, c, hw, off, ent[:n8], amax[:n8], &inv) {
			return false
		}
	}
	if n8 < len(ent) {
		return scalarProbsBlock(data, c, hw, off+n8, ent[n8:], amax[n8:], invLnC)
	}
	return true
}

// tlog evaluates ln x by an 8-entry table (VPERMPS) and a degree-5 polynomial: shorter dependency
// chains and fewer operations than the Cephes polynomial, within ~2e-8 of ln on normal inputs.
// x = 2^(E−127)·m, m ∈ [1, 2); j = top 3 bits of m's fraction; c_j = 1 + (j + ½)/8;
// ln x = (E−127)·ln2 + ln c_j + ln(1 + r) with r = m/c_j − 1, |r| < 1/16.
// Zero gives about −88 (0·ln 0 = 0 stays 0); subnormals are not exact (their p·ln p is < 1e-36).
type tlog struct {
	invC, lnC                          archsimd.Float32x8 // 1/c_j, ln c_j
	mant, oneBits                      archsimd.Uint32x8
	bias                               archsimd.Int32x8
	mOne, ln2hi, ln2lo, q5, q4, q3, q2 archsimd.Float32x8
}

var tlogInvC, tlogLnC [8]float32

func init() {
	for j := range 8 {
		c := 1 + (float64(j)+0.5)/8
		tlogInvC[j] = float32(1 / c)
		tlogLnC[j] = float32(math.Log(c))
	}
}

func newTlog() tlog {
	b := archsimd.BroadcastFloat32x8
	return tlog{
		invC: archsimd.LoadFloat32x8(&tlogInvC), lnC: archsimd.LoadFloat32x8(&tlogLnC),
		mant: archsimd.BroadcastUint32x8(0x007fffff), oneBits: archsimd.BroadcastUint32x8(0x3f800000),
		bias: archsimd.BroadcastInt32x8(127), mOne: b(-1), ln2hi: b(0.693359375), ln2lo: b(-2.12194440e-4), q5: b(1.0 / 5), q4: b(-1.0 / 4), q3: b(1.0 / 3), q2: b(-1.0 / 2),
	}
}

func (v *tlog) log(x archsimd.Float32x8) archsimd.Float32x8 {
	// Int32x8 shifts: Go 1.26 emits the Uint32x8 shift with a legacy-SSE MOVQ of the count (a
	// state transition per value); the arithmetic shift takes an immediate. The sign bit is 0 for
	// valid input, and VPERMPS reads only the low 3 bits of j.
	b := x.AsInt32x8()
	j := b.ShiftAllRight(20).AsUint32x8()
	m := b.AsUint32x8().And(v.mant).Or(v.oneBits).AsFloat32x8()
	r := m.MulAdd(v.invC.Permute(j), v.mOne)
	e := b.ShiftAllRight(23).Sub(v.bias).ConvertToFloat32()
	q := r.MulAdd(v.q5, v.q4)
	q = q.MulAdd(r, v.q3)
	q = q.MulAdd(r, v.q2)
	l := q.MulAdd(r.Mul(r), r)
	// ln2 in two parts (Cody–Waite): e·ln2hi is exact, so no rounding of a large e·ln2 spoils the sum.
	return e.MulAdd(v.ln2hi, e.MulAdd(v.ln2lo, v.lnC.Permute(j).Add(l)))
}

// probsAVX2: len(ent) is a multiple of 16; inv holds 1/ln C in every lane. Sixteen pixels (one
// cache line of every class plane) per step: planes 2 MiB apart fall into one L1 set, so a line
// must be used whole before the other 18 planes evict it; the two halves are independent chains.
func probsAVX2(data []float32, c, hw, off int, ent []float32, amax []uint8, inv8 *[8]float32) bool {
	defer archsimd.ClearAVXUpperBits()
	n := len(ent)
	v := newTlog()
	lo, hi := archsimd.BroadcastFloat32x8(1-ProbSumTolerance), archsimd.BroadcastFloat32x8(1+ProbSumTolerance)
	inv := archsimd.LoadFloat32x8(inv8)
	ones := archsimd.BroadcastInt32x8(1)
	var am8 [16]int32
	for g := 0; g < n; g += 16 {
		i := off + g
		var s0, t0, s1, t1 archsimd.Float32x8
		var bits archsimd.Uint32x8
		var am0, am1, kv archsimd.Int32x8 // kv: the class number k in every lane
		pm0 := archsimd.LoadFloat32x8Slice(data[i:])
		pm1 := archsimd.LoadFloat32x8Slice(data[i+8:])
		for k := 0; k < c; k++ {
			pl := data[k*hw+i : k*hw+i+16]
			p0 := archsimd.LoadFloat32x8Slice(pl)
			p1 := archsimd.LoadFloat32x8Slice(pl[8:])
			bits = bits.Or(p0.AsUint32x8()).Or(p1.AsUint32x8())
			s0 = s0.Add(p0)
			s1 = s1.Add(p1)
			t0 = p0.MulAdd(v.log(p0), t0)
			t1 = p1.MulAdd(v.log(p1), t1)
			gt0 := p0.Greater(pm0)
			gt1 := p1.Greater(pm1)
			pm0 = p0.Merge(pm0, gt0)
			pm1 = p1.Merge(pm1, gt1)
			am0 = kv.Merge(am0, gt0)
			am1 = kv.Merge(am1, gt1)
			kv = kv.Add(ones)
		}
		ok := s0.Greater(lo).And(s0.Less(hi)).And(s1.Greater(lo)).And(s1.Less(hi)).ToBits() == 0xff
		neg := bits.AsInt32x8().Less(archsimd.Int32x8{}).ToBits() != 0
		if !ok || neg {
			return false
		}
		v.log(s0).Sub(t0.Div(s0)).Mul(inv).StoreSlice(ent[g:])
		v.log(s1).Sub(t1.Div(s1)).Mul(inv).StoreSlice(ent[g+8:])
		am0.StoreSlice(am8[:])
		am1.StoreSlice(am8[8:])
		for j := range 16 { // not `range am8`: that copies the array with SSE moves
			amax[g+j] = uint8(am8[j])
		}
	}
	return true
}

// simdLogitsBlock is simdProbsBlock for logits.
func simdLogitsBlock(data []float32, c, hw, off int, ent []float32, amax []uint8, invLnC float32) bool {
	n8 := len(ent) &^ 15
	if n8 > 0 {
		inv := [8]float32{invLnC, invLnC, invLnC, invLnC, invLnC, invLnC, invLnC, invLnC}
		if !logitsAVX2(data, c, hw, off, ent[:n8], amax[:n8], &inv) {
			return false
		}
	}
	if n8 < len(ent) {
		return scalarLogitsBlock(data, c, hw, off+n8, ent[n8:], amax[n8:], invLnC)
	}
	return true
}

// logitsAVX2 is probsAVX2's layout for logits: max, argmax and the finite check first, then
// Σe and Σe·d with Cephes expf; len(ent) is a multiple of 16.
func logitsAVX2(data []float32, c, hw, off int, ent []float32, amax []uint8, inv8 *[8]float32) bool {
	defer archsimd.ClearAVXUpperBits()
	n := len(ent)
	v := newTlog()
	x := newVexp()
	inv := archsimd.LoadFloat32x8(inv8)
	ones := archsimd.BroadcastInt32x8(1)
	var am8 [16]int32
	for g := 0; g < n; g += 16 {
		i := off + g
		mx0 := archsimd.LoadFloat32x8Slice(data[i:])
		mx1 := archsimd.LoadFloat32x8Slice(data[i+8:])
		sum := mx0.Add(mx1)
		var am0, am1 archsimd.Int32x8
		kv := ones // the class number k in every lane
		for k := 1; k < c; k++ {
			pl := data[k*hw+i : k*hw+i+16]
			x0 := archsimd.LoadFloat32x8Slice(pl)
			x1 := archsimd.LoadFloat32x8Slice(pl[8:])
			sum = sum.Add(x0).Add(x1)
			gt0 := x0.Greater(mx0)
			gt1 := x1.Greater(mx1)
			mx0 = x0.Merge(mx0, gt0)
			mx1 = x1.Merge(mx1, gt1)
			am0 = kv.Merge(am0, gt0)
			am1 = kv.Merge(am1, gt1)
			kv = kv.Add(ones)
		}
		if sum.Sub(sum).Equal(archsimd.Float32x8{}).ToBits() != 0xff { // NaN or ±Inf somewhere
			return false
		}
		var s0, t0, s1, t1 archsimd.Float32x8
		for k := 0; k < c; k++ {
			pl := data[k*hw+i : k*hw+i+16]
			d0 := archsimd.LoadFloat32x8Slice(pl).Sub(mx0)
			d1 := archsimd.LoadFloat32x8Slice(pl[8:]).Sub(mx1)
			e0 := x.exp(d0)
			e1 := x.exp(d1)
			s0 = s0.Add(e0)
			s1 = s1.Add(e1)
			t0 = e0.MulAdd(d0.Max(x.floor), t0)
			t1 = e1.MulAdd(d1.Max(x.floor), t1)
		}
		v.log(s0).Sub(t0.Div(s0)).Mul(inv).StoreSlice(ent[g:])
		v.log(s1).Sub(t1.Div(s1)).Mul(inv).StoreSlice(ent[g+8:])
		am0.StoreSlice(am8[:])
		am1.StoreSlice(am8[8:])
		for j := range 16 { // not `range am8`: that copies the array with SSE moves
			amax[g+j] = uint8(am8[j])
		}
	}
	return true
}

// vexp is Cephes expf for d ≤ 0 (d below −87 taken as −87), within ~1 ulp.
type vexp struct {
	floor, log2e, nc1, nc2, one, e0, e1, e2, e3, e4, e5 archsimd.Float32x8
	bias                                                archsimd.Int32x8
}

func newVexp() vexp {
	b := archsimd.BroadcastFloat32x8
	return vexp{
		floor: b(-87), log2e: b(1.44269504), nc1: b(-0.693359375), nc2: b(2.12194440e-4), one: b(1),
		e0: b(1.9875691500e-4), e1: b(1.3981999507e-3), e2: b(8.3334519073e-3), e3: b(4.1665795894e-2),
		e4: b(1.6666665459e-1), e5: b(5.0000001201e-1), bias: archsimd.BroadcastInt32x8(127),
	}
}

func (x *vexp) exp(d archsimd.Float32x8) archsimd.Float32x8 {
	d = d.Max(x.floor)
	nf := d.Mul(x.log2e).RoundToEven()
	r := nf.MulAdd(x.nc1, d)
	r = nf.MulAdd(x.nc2, r)
	p := x.e0.MulAdd(r, x.e1)
	p = p.MulAdd(r, x.e2)
	p = p.MulAdd(r, x.e3)
	p = p.MulAdd(r, x.e4)
	p = p.MulAdd(r, x.e5)
	p = p.MulAdd(r.Mul(r), r).Add(x.one)
	return p.Mul(nf.ConvertToInt32().Add(x.bias).ShiftAllLeft(23).AsFloat32x8())
}

// simdPlogpEps is kPlogpEps eight values at a time.
func simdPlogpEps(acc, plane []float32) {
	v := newVlog()
	eps := archsimd.BroadcastFloat32x8(eps32)
	i := 0
	for ; i+8 <= len(plane); i += 8 {
		p := archsimd.LoadFloat32x8Slice(plane[i:])
		a := archsimd.LoadFloat32x8Slice(acc[i:])
		p.MulAdd(v.log(p.Add(eps)), a).StoreSlice(acc[i:])
	}
	archsimd.ClearAVXUpperBits() // before any scalar float code, here or in the caller
	if i < len(plane) {
		kPlogpEps(acc[i:], plane[i:])
	}
}

// simdExpTo is kExpTo eight values at a time (Cephes expf, like simdLogitsBlock).
func simdExpTo(dst, s, mx, plane []float32) {
	b := archsimd.BroadcastFloat32x8
	floor, log2e, nc1, nc2, one := b(-87), b(1.44269504), b(-0.693359375), b(2.12194440e-4), b(1)
	e0, e1, e2, e3, e4, e5 := b(1.9875691500e-4), b(1.3981999507e-3), b(8.3334519073e-3), b(4.1665795894e-2), b(1.6666665459e-1), b(5.0000001201e-1)
	bias := archsimd.BroadcastInt32x8(127)
	i := 0
	for ; i+8 <= len(plane); i += 8 {
		x := archsimd.LoadFloat32x8Slice(plane[i:])
		d := x.Sub(archsimd.LoadFloat32x8Slice(mx[i:])).Max(floor)
		nf := d.Mul(log2e).RoundToEven()
		r := nf.MulAdd(nc1, d)
		r = nf.MulAdd(nc2, r)
		p := e0.MulAdd(r, e1)
		p = p.MulAdd(r, e2)
		p = p.MulAdd(r, e3)
		p = p.MulAdd(r, e4)
		p = p.MulAdd(r, e5)
		p = p.MulAdd(r.Mul(r), r).Add(one)
		e := p.Mul(nf.ConvertToInt32().Add(bias).ShiftAllLeft(23).AsFloat32x8())
		e.StoreSlice(dst[i:])
		archsimd.LoadFloat32x8Slice(s[i:]).Add(e).StoreSlice(s[i:])
	}
	archsimd.ClearAVXUpperBits()
	if i < len(plane) {
		kExpTo(dst[i:], s[i:], mx[i:], plane[i:])
	}
}
