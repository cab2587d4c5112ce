//go:build goexperiment.simd && amd64

package calib

import "simd/archsimd"

// AVX2+FMA versions of the trainer's kernels. Like postproc's, they take no float parameters and
// clear the upper AVX halves before returning: legacy-SSE float code meeting dirty upper halves
// costs a state transition on many CPUs.

func init() {
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		mmAcc, adamUpdate = mmAccAVX2, adamUpdateAVX2
		reluInPlace, reluMask, addTo = reluAVX2, reluMaskAVX2, addToAVX2
	}
}

// mmAccAVX2 is mmAccScalar in blocks of 4 rows × 16 columns held in 8 registers over the whole k.
func mmAccAVX2(c, a, b []float32, m, k, n, ar, ak, ldb int) {
	for i := 0; i < m; i += 4 {
		for j := 0; j < n; j += 16 {
			if ak == 1 {
				mmRows4x16(c[i*n+j:], n, a[i*ar:], ar, k, b[j:], ldb)
			} else {
				mmCols4x16(c[i*n+j:], n, a[i*ar:], ak, k, b[j:], ldb)
			}
		}
	}
	archsimd.ClearAVXUpperBits()
}

// mmRows4x16: c's 4×16 block (row stride n) += A·B where row r of A is a[r*ar : r*ar+k].
func mmRows4x16(c []float32, n int, a []float32, ar, k int, b []float32, ldb int) {
	r0, r1, r2, r3 := a[:k], a[ar:ar+k], a[2*ar:2*ar+k], a[3*ar:3*ar+k]
	c0, c1, c2, c3 := c[:16], c[n:n+16], c[2*n:2*n+16], c[3*n:3*n+16]
	x00, x01 := archsimd.LoadFloat32x8Slice(c0), archsimd.LoadFloat32x8Slice(c0[8:])
	x10, x11 := archsimd.LoadFloat32x8Slice(c1), archsimd.LoadFloat32x8Slice(c1[8:])
	x20, x21 := archsimd.LoadFloat32x8Slice(c2), archsimd.LoadFloat32x8Slice(c2[8:])
	x30, x31 := archsimd.LoadFloat32x8Slice(c3), archsimd.LoadFloat32x8Slice(c3[8:])
	for kk := range r0 {
		br := b[kk*ldb : kk*ldb+16]
		b0, b1 := archsimd.LoadFloat32x8Slice(br), archsimd.LoadFloat32x8Slice(br[8:])
		a0 := archsimd.BroadcastFloat32x8(r0[kk])
		x00, x01 = a0.MulAdd(b0, x00), a0.MulAdd(b1, x01)
		a1 := archsimd.BroadcastFloat32x8(r1[kk])
		x10, x11 = a1.MulAdd(b0, x10), a1.MulAdd(b1, x11)
		a2 := archsimd.BroadcastFloat32x8(r2[kk])
		x20, x21 = a2.MulAdd(b0, x20), a2.MulAdd(b1, x21)
		a3 := archsimd.BroadcastFloat32x8(r3[kk])
		x30, x31 = a3.MulAdd(b0, x30), a3.MulAdd(b1, x31)
	}
	x00.StoreSlice(c0)
	x01.StoreSlice(c0[8:])
	x10.StoreSlice(c1)
	x11.StoreSlice(c1[8:])
	x20.StoreSlice(c2)
	x21.StoreSlice(c2[8:])
	x30.StoreSlice(c3)
	x31.StoreSlice(c3[8:])
}

// mmCols4x16: the same where the 4 rows' values of step kk are a[kk*ak : kk*ak+4] (Aᵀ stored).
func mmCols4x16(c []float32, n int, a []float32, ak, k int, b []float32, ldb int) {
	c0, c1, c2, c3 := c[:16], c[n:n+16], c[2*n:2*n+16], c[3*n:3*n+16]
	x00, x01 := archsimd.LoadFloat32x8Slice(c0), archsimd.LoadFloat32x8Slice(c0[8:])
	x10, x11 := archsimd.LoadFloat32x8Slice(c1), archsimd.LoadFloat32x8Slice(c1[8:])
	x20, x21 := archsimd.LoadFloat32x8Slice(c2), archsimd.LoadFloat32x8Slice(c2[8:])
	x30, x31 := archsimd.LoadFloat32x8Slice(c3), archsimd.LoadFloat32x8Slice(c3[8:])
	for kk := range k {
		q := a[kk*ak : kk*ak+4]
		br := b[kk*ldb : kk*ldb+16]
		b0, b1 := archsimd.LoadFloat32x8Slice(br), archsimd.LoadFloat32x8Slice(br[8:])
		a0 := archsimd.BroadcastFloat32x8(q[0])
		x00, x01 = a0.MulAdd(b0, x00), a0.MulAdd(b1, x01)
		a1 := archsimd.BroadcastFloat32x8(q[1])
		x10, x11 = a1.MulAdd(b0, x10), a1.MulAdd(b1, x11)
		a2 := archsimd.BroadcastFloat32x8(q[2])
		x20, x21 = a2.MulAdd(b0, x20), a2.MulAdd(b1, x21)
		a3 := archsimd.BroadcastFloat32x8(q[3])
		x30, x31 = a3.MulAdd(b0, x30), a3.MulAdd(b1, x31)
	}
	x00.StoreSlice(c0)
	x01.StoreSlice(c0[8:])
	x10.StoreSlice(c1)
	x11.StoreSlice(c1[8:])
	x20.StoreSlice(c2)
	x21.StoreSlice(c2[8:])
	x30.StoreSlice(c3)
	x31.StoreSlice(c3[8:])
}

// adamUpdateAVX2 is adamUpdateScalar eight parameters at a time (len(ps) is a multiple of 16).
func adamUpdateAVX2(ps, g, m, v []float32, k *adamStep) {
	kk := [5]float32{k.b1, k.b2, k.wd, k.step, k.eps}
	var c [5][8]float32
	for i := range c {
		for j := range 8 {
			c[i][j] = kk[i]
		}
	}
	adamAVX2(ps, g, m, v, &c)
}

func adamAVX2(ps, g, m, v []float32, c *[5][8]float32) {
	b1, b2 := archsimd.LoadFloat32x8(&c[0]), archsimd.LoadFloat32x8(&c[1])
	wd, step, eps := archsimd.LoadFloat32x8(&c[2]), archsimd.LoadFloat32x8(&c[3]), archsimd.LoadFloat32x8(&c[4])
	one := archsimd.BroadcastFloat32x8(1)
	nb1, nb2 := one.Sub(b1), one.Sub(b2)
	g, m, v = g[:len(ps)], m[:len(ps)], v[:len(ps)]
	for i := 0; i+8 <= len(ps); i += 8 {
		p := archsimd.LoadFloat32x8Slice(ps[i:])
		gi := wd.MulAdd(p, archsimd.LoadFloat32x8Slice(g[i:]))
		mi := b1.Mul(archsimd.LoadFloat32x8Slice(m[i:])).Add(nb1.Mul(gi))
		vi := b2.Mul(archsimd.LoadFloat32x8Slice(v[i:])).Add(nb2.Mul(gi).Mul(gi))
		mi.StoreSlice(m[i:])
		vi.StoreSlice(v[i:])
		p.Sub(step.Mul(mi).Div(vi.Sqrt().Add(eps))).StoreSlice(ps[i:])
	}
	archsimd.ClearAVXUpperBits()
}

// reluAVX2, reluMaskAVX2 and addToAVX2: the scalar kernels on lengths that are multiples of 16
// (every padded width is).
func reluAVX2(x []float32) {
	var zero archsimd.Float32x8
	for i := 0; i+8 <= len(x); i += 8 {
		archsimd.LoadFloat32x8Slice(x[i:]).Max(zero).StoreSlice(x[i:])
	}
	archsimd.ClearAVXUpperBits()
}

func reluMaskAVX2(d, a []float32) {
	var zero archsimd.Float32x8
	a = a[:len(d)]
	for i := 0; i+8 <= len(d); i += 8 {
		on := archsimd.LoadFloat32x8Slice(a[i:]).Greater(zero)
		archsimd.LoadFloat32x8Slice(d[i:]).Masked(on).StoreSlice(d[i:])
	}
	archsimd.ClearAVXUpperBits()
}

func addToAVX2(dst, src []float32) {
	src = src[:len(dst)]
	for i := 0; i+8 <= len(dst); i += 8 {
		archsimd.LoadFloat32x8Slice(dst[i:]).Add(archsimd.LoadFloat32x8Slice(src[i:])).StoreSlice(dst[i:])
	}
	archsimd.ClearAVXUpperBits()
}
