package postproc

import "math"

// Fast float32 log and exp for the per-pixel passes. math.Log/math.Exp are float64 and
// exact to the last bit; here ~1e-7 absolute is plenty (the comparison tolerance is 1e-5)
// and the per-element cost is what decides the frame time.

// logTabBits is how many mantissa bits index the log table.
const logTabBits = 7

// logInv[k] = 1/c_k and logC[k] = ln c_k with c_k the centre of mantissa interval k of [1, 2).
var logInv, logC [1 << logTabBits]float32

func init() {
	for k := range logInv {
		c := 1 + (float64(k)+0.5)/(1<<logTabBits)
		logInv[k] = float32(1 / c)
		logC[k] = float32(math.Log(c))
	}
}

const ln2 = 0.6931471805599453

// fastLog returns ln x for x > 0 with an error below ~1e-7·(1+|ln x|). Zero and subnormal inputs are
// treated as the smallest normal float32 (so p·ln p stays 0 for p = 0). Negative input is meaningless.
//
//go:norace
func fastLog(x float32) float32 {
	b := math.Float32bits(x)
	b = max(b, 0x00800000)
	e := float32(int32(b>>23) - 127)
	k := (b >> (23 - logTabBits)) & (1<<logTabBits - 1)
	m := math.Float32frombits(b&0x007fffff | 0x3f800000) // [1, 2)
	r := m*logInv[k] - 1                                 // |r| < 2^-8
	// ln(1+r) = r − r²/2 + r³/3; the r⁴ term is below 6e-11.
	l := r * (1 + r*(-0.5+r*(1.0/3)))
	return e*ln2 + logC[k] + l
}

// expTabBits: e^d = 2^k · 2^(j/64) · e^r with |r| ≤ ln2/128, so a quadratic is exact to float32
// (the r³/6 term is below 3e-8).
const expTabBits = 6

// expTab[j] = 2^(j/64).
var expTab [1 << expTabBits]float32

func init() {
	for j := range expTab {
		expTab[j] = float32(math.Exp2(float64(j) / (1 << expTabBits)))
	}
}

// Constants of the table exp: 64/ln2, and ln2/64 split in a short high part and the rest
// (Cody–Waite), so that d − n·ln2/64 is exact for every n in range.
const (
	expScale = 92.33248261689366 // 64/ln2
	expHi    = 0.693359375 / 64
	expLo    = -2.12194440e-4 / 64
	expFloor = -80 // e^-80 ≈ 2e-35: below anything that can matter next to the maximum's e^0 = 1
)

// fastExp returns e^x for x ≤ 0 with a relative error of ~1e-7; x below −80 gives e^−80.
// The loops in kernels.go carry the same code written out (Go does not inline this function).
//
//go:norace
func fastExp(x float32) float32 {
	if x < expFloor {
		x = expFloor
	}
	n := int32(x*expScale - 0.5) // round to nearest for x ≤ 0 (conversion truncates toward 0)
	fn := float32(n)
	r := x - fn*expHi - fn*expLo
	p := 1 + r*(1+r*0.5)
	v := expTab[n&(1<<expTabBits-1)] * p
	return math.Float32frombits(math.Float32bits(v) + uint32(n>>expTabBits)<<23)
}
