package postproc

import "math"

// probsBlock and logitsBlock compute ent and amax for the n = len(ent) pixels starting at off.
// They return false when the block holds a bad value (the caller then finds and names it).
// kernels_simd.go replaces them with AVX2 versions where the build and the CPU allow.
//
// Every kernel here, in kernels_simd.go and fastmath.go is marked //go:norace: a kernel only reads
// and writes the slices its caller hands it, and the race detector still checks the callers. With
// the instrumentation, postproc under -race took 2.1 s per map instead of 49 ms, and the
// race-enabled pipeline tests crawled past their time limits.
var (
	probsBlock  = scalarProbsBlock
	logitsBlock = scalarLogitsBlock
	plogpEps    = kPlogpEps // on component pixels: E numerators
	expTo       = kExpTo    // on component pixels: softmax numerators (logits input)
)

// scalarProbsBlock: Σp, Σ p ln p and the argmax, plane after plane, then the entropy.
//
//go:norace
func scalarProbsBlock(data []float32, c, hw, off int, ent []float32, amax []uint8, invLnC float32) bool {
	n := len(ent)
	var sA, tA, pmA [blk]float32
	s, t, pm := sA[:n], tA[:n], pmA[:n]
	copy(pm, data[off:off+n])
	clear(amax)
	var bits uint32
	bits |= kPlogp(s, t, data[off:off+n])
	for k := 1; k < c; k++ {
		bits |= kPlogpArgmax(s, t, pm, amax, data[k*hw+off:k*hw+off+n], uint8(k))
	}
	if bits&0x80000000 != 0 {
		return false
	}
	for _, si := range s {
		if !(si > 1-ProbSumTolerance && si < 1+ProbSumTolerance) {
			return false
		}
	}
	// −Σ q ln q with q = p/s equals ln s − (Σ p ln p)/s.
	kEntFinish(ent, s, t, invLnC)
	return true
}

// scalarLogitsBlock: max, argmax and Σx (finite check) first, then Σe and Σe·d, then the entropy.
//
//go:norace
func scalarLogitsBlock(data []float32, c, hw, off int, ent []float32, amax []uint8, invLnC float32) bool {
	n := len(ent)
	var mxA, sA, tA [blk]float32
	mx, s, t := mxA[:n], sA[:n], tA[:n]
	copy(mx, data[off:off+n])
	copy(s, mx) // s collects Σ x first: finite iff every x is
	clear(amax)
	for k := 1; k < c; k++ {
		kMaxSum(mx, s, amax, data[k*hw+off:k*hw+off+n], uint8(k))
	}
	for _, v := range s {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	clear(s)
	for k := 0; k < c; k++ {
		kExpAcc(s, t, mx, data[k*hw+off:k*hw+off+n])
	}
	kEntFinish(ent, s, t, invLnC)
	return true
}

// The per-block kernels of the entropy pass. Each walks one class plane over a block of pixels;
// fastLog/fastExp are written out inside the loops because Go does not inline them (too large),
// and a call per value would cost more than the arithmetic.

// kPlogp adds p to s and p·ln p to t, element-wise, and returns the OR of the value bits
// (the sign bit tells whether any value was negative).
//
//go:norace
func kPlogp(s, t, plane []float32) uint32 {
	s = s[:len(plane)]
	t = t[:len(plane)]
	var bits uint32
	for i, p := range plane {
		b := math.Float32bits(p)
		bits |= b
		b = max(b, 0x00800000) // 0 and subnormals: 0·ln(tiny) = 0
		e := float32(int32(b>>23) - 127)
		k := (b >> (23 - logTabBits)) & (1<<logTabBits - 1)
		m := math.Float32frombits(b&0x007fffff | 0x3f800000)
		r := m*logInv[k] - 1
		l := e*ln2 + logC[k] + r*(1+r*(-0.5+r*(1.0/3)))
		s[i] += p
		t[i] += p * l
	}
	return bits
}

// kPlogpArgmax is kPlogp and kArgmax in one pass over the plane.
//
//go:norace
func kPlogpArgmax(s, t, pm []float32, am []uint8, plane []float32, c uint8) uint32 {
	s = s[:len(plane)]
	t = t[:len(plane)]
	pm = pm[:len(plane)]
	am = am[:len(plane)]
	var bits uint32
	for i, p := range plane {
		b := math.Float32bits(p)
		bits |= b
		if p > pm[i] {
			pm[i] = p
			am[i] = c
		}
		b = max(b, 0x00800000) // 0 and subnormals: 0·ln(tiny) = 0
		e := float32(int32(b>>23) - 127)
		k := (b >> (23 - logTabBits)) & (1<<logTabBits - 1)
		m := math.Float32frombits(b&0x007fffff | 0x3f800000)
		r := m*logInv[k] - 1
		l := e*ln2 + logC[k] + r*(1+r*(-0.5+r*(1.0/3)))
		s[i] += p
		t[i] += p * l
	}
	return bits
}

// kEntFinish turns the block sums into normalized entropy: (ln s − t/s)/ln C.
//
//go:norace
func kEntFinish(e, s, t []float32, invLnC float32) {
	s = s[:len(e)]
	t = t[:len(e)]
	for i := range e {
		si := s[i]
		b := math.Float32bits(si)
		ex := float32(int32(b>>23) - 127)
		k := (b >> (23 - logTabBits)) & (1<<logTabBits - 1)
		m := math.Float32frombits(b&0x007fffff | 0x3f800000)
		r := m*logInv[k] - 1
		l := ex*ln2 + logC[k] + r*(1+r*(-0.5+r*(1.0/3)))
		e[i] = (l - t[i]/si) * invLnC
	}
}

// kExpAcc adds e = exp(x − mx) to s and e·(x − mx) to t.
//
//go:norace
func kExpAcc(s, t, mx, plane []float32) {
	s = s[:len(plane)]
	t = t[:len(plane)]
	mx = mx[:len(plane)]
	for i, x := range plane {
		d := x - mx[i]
		if d < expFloor {
			d = expFloor
		}
		n := int32(d*expScale - 0.5)
		fn := float32(n)
		r := d - fn*expHi - fn*expLo
		v := expTab[n&(1<<expTabBits-1)] * (1 + r*(1+r*0.5))
		e := math.Float32frombits(math.Float32bits(v) + uint32(n>>expTabBits)<<23)
		s[i] += e
		t[i] += e * d
	}
}

// kMaxSum keeps the running maximum and its class in mx/am, and adds x to sum (finite iff all x are).
//
//go:norace
func kMaxSum(mx, sum []float32, am []uint8, plane []float32, k uint8) {
	mx = mx[:len(plane)]
	sum = sum[:len(plane)]
	am = am[:len(plane)]
	for i, x := range plane {
		sum[i] += x
		if x > mx[i] {
			mx[i] = x
			am[i] = k
		}
	}
}

// simdActive tells tests and benchmarks whether the AVX2 kernels replaced the scalar ones.
var simdActive bool

// Kernels names the per-pixel kernels in use: "avx2" (built with GOEXPERIMENT=simd on amd64, on a
// CPU with AVX2 and FMA) or "scalar" (any other build; about 2.5x slower, same results), for
// benchmark tables and logs.
func Kernels() string {
	if simdActive {
		return "avx2"
	}
	return "scalar"
}

// kExpTo writes e = exp(x − mx) to dst and adds it to s (softmax numerators of component pixels).
//
//go:norace
func kExpTo(dst, s, mx, plane []float32) {
	dst = dst[:len(plane)]
	s = s[:len(plane)]
	mx = mx[:len(plane)]
	for i, x := range plane {
		d := x - mx[i]
		if d < expFloor {
			d = expFloor
		}
		n := int32(d*expScale - 0.5)
		fn := float32(n)
		r := d - fn*expHi - fn*expLo
		v := expTab[n&(1<<expTabBits-1)] * (1 + r*(1+r*0.5))
		e := math.Float32frombits(math.Float32bits(v) + uint32(n>>expTabBits)<<23)
		dst[i] = e
		s[i] += e
	}
}

// kPlogpEps adds p·ln(p + ε) to acc: the reference's E heat map numerator (docs/METHOD.md §3).
//
//go:norace
func kPlogpEps(acc, plane []float32) {
	acc = acc[:len(plane)]
	for i, p := range plane {
		b := math.Float32bits(p + eps32)
		e := float32(int32(b>>23) - 127)
		k := (b >> (23 - logTabBits)) & (1<<logTabBits - 1)
		m := math.Float32frombits(b&0x007fffff | 0x3f800000)
		r := m*logInv[k] - 1
		acc[i] += p * (e*ln2 + logC[k] + r*(1+r*(-0.5+r*(1.0/3))))
	}
}

// kTop2 keeps the two largest values seen so far per element in p1 ≥ p2.
//
//go:norace
func kTop2(p1, p2, plane []float32) {
	p1 = p1[:len(plane)]
	p2 = p2[:len(plane)]
	for i, p := range plane {
		if p > p1[i] {
			p1[i], p2[i] = p, p1[i]
		} else if p > p2[i] {
			p2[i] = p
		}
	}
}
