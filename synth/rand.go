package synth

import "math"

// Deterministic, allocation-free randomness. Every random choice is a pure function of
// (seed, what, index), so any frame can be rendered on its own (random access).

// mix is the splitmix64 finaliser: a bijective avalanche of a 64-bit word.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// Tags keep the random streams of different kinds of objects apart.
const (
	tagBlock uint64 = iota + 1
	tagPeople
	tagVehicle
	tagAnomalySlot
	tagAnomaly
	tagLight
	tagProxy
	tagSky
)

// rng is a splitmix64 stream; the zero value is usable but streams come from newRNG.
type rng struct{ s uint64 }

func newRNG(seed int64, tag uint64, k int64) rng {
	return rng{mix(uint64(seed)*0x9E3779B97F4A7C15 ^ mix(tag<<56^uint64(k)))}
}

func (r *rng) u64() uint64 {
	r.s += 0x9E3779B97F4A7C15
	return mix(r.s)
}

// f returns a float in [0, 1).
func (r *rng) f() float64 { return float64(r.u64()>>11) / (1 << 53) }

// rangef returns a float in [a, b).
func (r *rng) rangef(a, b float64) float64 { return a + (b-a)*r.f() }

// logf returns a log-uniform float in [a, b): sizes look evenly spread that way.
func (r *rng) logf(a, b float64) float64 { return a * math.Exp(math.Log(b/a)*r.f()) }

// intn returns an int in [0, n).
func (r *rng) intn(n int) int { return int(r.u64() % uint64(n)) }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.f() < p }

// floorDiv is ⌊a/b⌋ for b > 0, also for negative a.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
