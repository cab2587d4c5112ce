//go:build goexperiment.simd && amd64

package postproc

import "simd/archsimd"

// AVX2+FMA versions of the entropy-pass block kernels (built with GOEXPERIMENT=simd on amd64).
// Eight pixels at a time, all C classes in registers; logs by the Cephes logf polynomial and exps
// by the Cephes expf polynomial, both within ~1 ulp, so results match the scalar kernels to ~1e-7.

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

func simdProbsBlock(data []float32, c, hw, off int, ent []float32, amax []uint8, invLnC float32) bool {
	n := len(ent)
	v := newVlog()
	lo, hi := archsimd.BroadcastFloat32x8(1-ProbSumTolerance), archsimd.BroadcastFloat32x8(1+ProbSumTolerance)
	inv := archsimd.BroadcastFloat32x8(invLnC)
	ones := archsimd.BroadcastInt32x8(1)
	var am8 [8]int32
	g := 0
	for ; g+8 <= n; g += 8 {
		i := off + g
		var s, t archsimd.Float32x8
		var bits archsimd.Uint32x8
		var am archsimd.Int32x8
		var kv archsimd.Int32x8 // the class number k in every lane
		pm := archsimd.LoadFloat32x8Slice(data[i:])
		for k := 0; k < c; k++ {
			p := archsimd.LoadFloat32x8Slice(data[k*hw+i:])
			bits = bits.Or(p.AsUint32x8())
			s = s.Add(p)
			t = p.MulAdd(v.log(p), t)
			gt := p.Greater(pm)
			pm = p.Merge(pm, gt)
			am = kv.Merge(am, gt)
			kv = kv.Add(ones)
		}
		ok := s.Greater(lo).And(s.Less(hi)).ToBits() == 0xff
		neg := bits.AsInt32x8().Less(archsimd.Int32x8{}).ToBits() != 0
		if !ok || neg {
			return false
		}
		e := v.log(s).Sub(t.Div(s)).Mul(inv)
		e.StoreSlice(ent[g:])
		am.Store(&am8)
		for j, a := range am8 {
			amax[g+j] = uint8(a)
		}
	}
	if g < n {
		return scalarProbsBlock(data, c, hw, off+g, ent[g:], amax[g:], invLnC)
	}
	return true
}

func simdLogitsBlock(data []float32, c, hw, off int, ent []float32, amax []uint8, invLnC float32) bool {
	n := len(ent)
	v := newVlog()
	b := archsimd.BroadcastFloat32x8
	floor, log2e, nc1, nc2 := b(-87), b(1.44269504), b(-0.693359375), b(2.12194440e-4)
	e0, e1, e2, e3, e4, e5 := b(1.9875691500e-4), b(1.3981999507e-3), b(8.3334519073e-3), b(4.1665795894e-2), b(1.6666665459e-1), b(5.0000001201e-1)
	bias := archsimd.BroadcastInt32x8(127)
	inv := b(invLnC)
	ones := archsimd.BroadcastInt32x8(1)
	var am8 [8]int32
	g := 0
	for ; g+8 <= n; g += 8 {
		i := off + g
		mx := archsimd.LoadFloat32x8Slice(data[i:])
		sum := mx
		var am archsimd.Int32x8
		kv := ones // the class number k in every lane
		for k := 1; k < c; k++ {
			x := archsimd.LoadFloat32x8Slice(data[k*hw+i:])
			sum = sum.Add(x)
			gt := x.Greater(mx)
			mx = x.Merge(mx, gt)
			am = kv.Merge(am, gt)
			kv = kv.Add(ones)
		}
		if sum.Sub(sum).Equal(archsimd.Float32x8{}).ToBits() != 0xff { // NaN or ±Inf somewhere
			return false
		}
		var s, t archsimd.Float32x8
		for k := 0; k < c; k++ {
			x := archsimd.LoadFloat32x8Slice(data[k*hw+i:])
			d := x.Sub(mx).Max(floor)
			nf := d.Mul(log2e).RoundToEven()
			r := nf.MulAdd(nc1, d)
			r = nf.MulAdd(nc2, r)
			p := e0.MulAdd(r, e1)
			p = p.MulAdd(r, e2)
			p = p.MulAdd(r, e3)
			p = p.MulAdd(r, e4)
			p = p.MulAdd(r, e5)
			p = p.MulAdd(r.Mul(r), r).Add(v.one)
			scale := nf.ConvertToInt32().Add(bias).ShiftAllLeft(23).AsFloat32x8()
			e := p.Mul(scale)
			s = s.Add(e)
			t = e.MulAdd(d, t)
		}
		en := v.log(s).Sub(t.Div(s)).Mul(inv)
		en.StoreSlice(ent[g:])
		am.Store(&am8)
		for j, a := range am8 {
			amax[g+j] = uint8(a)
		}
	}
	if g < n {
		return scalarLogitsBlock(data, c, hw, off+g, ent[g:], amax[g:], invLnC)
	}
	return true
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
	if i < len(plane) {
		kExpTo(dst[i:], s[i:], mx[i:], plane[i:])
	}
}
