package calib

import (
	"math"
	"testing"
)

// TestLARSOrthogonal: with orthogonal columns LARS enters features by |xᵀy|, and every step's
// coefficient is the soft-threshold of the OLS one (hand-computed).
func TestLARSOrthogonal(t *testing.T) {
	// Columns are orthogonal with zero mean; y = 3·x0 − 1·x1 + 2·x2 (centred).
	x := []float64{
		1, 1, 1,
		-1, 1, -1,
		1, -1, -1,
		-1, -1, 1,
	}
	y := make([]float64, 4)
	for i := range 4 {
		y[i] = 3*x[i*3] - 1*x[i*3+1] + 2*x[i*3+2]
	}
	r, err := LARS(x, 3, y)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 2, 1}; !equalInts(r.Order, want) {
		t.Fatalf("order %v, want %v", r.Order, want)
	}
	// xⱼᵀy = 4·β: 12, −4, 8. Step 1 stops at correlation 8: β0 = (12−8)/4 = 1.
	// Step 2 stops at 4: β0 = 2, β2 = 1. Step 3 reaches OLS: (3, −1, 2).
	want := [][]float64{{0, 0, 0}, {1, 0, 0}, {2, 0, 1}, {3, -1, 2}}
	for k := range want {
		for j := range 3 {
			if math.Abs(r.Coefs[k][j]-want[k][j]) > 1e-12 {
				t.Fatalf("step %d: %v, want %v", k, r.Coefs[k], want[k])
			}
		}
	}
}

// TestLARSInvariants on correlated data: after each step the active features share the largest
// absolute correlation with the residual, and the last step is the least-squares fit.
func TestLARSInvariants(t *testing.T) {
	const n, p = 60, 5
	z, _ := synthRows(n, p, 9)
	for i := range n { // correlate column 1 with column 0
		z[i*p+1] = 0.8*z[i*p] + 0.6*z[i*p+1]
	}
	z = FitScaler(z, p, nil).Apply(z)
	y := make([]float64, n)
	for i := range n {
		y[i] = 2*z[i*p] - z[i*p+3] + 0.3*z[i*p+1] + 0.1*math.Sin(float64(i))
	}
	r, err := LARS(z, p, y)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Order) != p {
		t.Fatalf("order %v", r.Order)
	}
	ym := sum(y) / n
	for k := 1; k < len(r.Coefs); k++ {
		c := make([]float64, p)
		for i := range n {
			res := y[i] - ym - dot(r.Coefs[k], z[i*p:(i+1)*p])
			for j := range p {
				c[j] += z[i*p+j] * res
			}
		}
		if k == p {
			if norm(c) > 1e-8 {
				t.Fatalf("last step is not least squares: Xᵀr = %v", c)
			}
			continue
		}
		act := math.Abs(c[r.Order[0]])
		for a := range k {
			if math.Abs(math.Abs(c[r.Order[a]])-act) > 1e-8 {
				t.Fatalf("step %d: active correlations differ: %v", k, c)
			}
		}
		for _, j := range r.Order[k:] {
			if math.Abs(c[j]) > act+1e-8 {
				t.Fatalf("step %d: inactive feature %d more correlated (%v > %v)", k, j, c[j], act)
			}
		}
		if math.Abs(math.Abs(c[r.Order[k]])-act) > 1e-8 {
			t.Fatalf("step %d: the next feature %d should tie the active correlation", k, r.Order[k])
		}
	}
	if r.Order[0] != 0 {
		t.Fatalf("first feature %d, want 0 (largest effect)", r.Order[0])
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLARSDropsCollinear: a duplicated column ties with its twin at every step; it is dropped when it
// would enter (as sklearn does) and the ranking still lists every feature once.
func TestLARSDropsCollinear(t *testing.T) {
	const n, p = 50, 4
	z, _ := synthRows(n, p, 12)
	for i := range n {
		z[i*p+3] = z[i*p] // exact duplicate
	}
	z = FitScaler(z, p, nil).Apply(z)
	y := make([]float64, n)
	for i := range n {
		y[i] = z[i*p] + z[i*p+1] + 0.5*z[i*p+2] + 0.01*math.Cos(float64(i))
	}
	r, err := LARS(z, p, y)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Order) != 3 || len(r.Dropped) != 1 || r.Dropped[0] != 3 {
		t.Fatalf("order %v dropped %v", r.Order, r.Dropped)
	}
	rank := r.Ranking(p)
	seen := map[int]bool{}
	for _, j := range rank {
		seen[j] = true
	}
	if len(rank) != p || len(seen) != p {
		t.Fatalf("ranking %v", rank)
	}
}
