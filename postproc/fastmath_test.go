package postproc

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFastLog(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	worst := 0.0
	for i := 0; i < 200000; i++ {
		// log-uniform over the whole normal range, plus [0.5, 2] densely
		x := float32(math.Exp(r.Float64()*170 - 87))
		if i%2 == 0 {
			x = float32(0.5 + 1.5*r.Float64())
		}
		got := float64(fastLog(x))
		want := math.Log(float64(x))
		// float32 itself cannot hold ln x closer than half an ulp of |ln x|
		if d := math.Abs(got-want) / (1 + math.Abs(want)); d > worst {
			worst = d
		}
	}
	if worst > 2e-7 {
		t.Fatalf("fastLog worst error %g (absolute, relative above 1)", worst)
	}
	if l := fastLog(0); l > -87 || l < -88 {
		t.Fatalf("fastLog(0) = %v, want ln of the smallest normal", l)
	}
	if fastLog(1) != 0 && math.Abs(float64(fastLog(1))) > 1e-7 {
		t.Fatalf("fastLog(1) = %v", fastLog(1))
	}
}

func TestFastExp(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	worst := 0.0
	for i := 0; i < 200000; i++ {
		x := float32(-r.Float64() * 79.9)
		if i%2 == 0 {
			x = float32(-r.Float64() * 3)
		}
		got := float64(fastExp(x))
		want := math.Exp(float64(x))
		if d := math.Abs(got-want) / want; d > worst {
			worst = d
		}
	}
	if worst > 3e-7 {
		t.Fatalf("fastExp worst relative error %g", worst)
	}
	if e := fastExp(0); e != 1 {
		t.Fatalf("fastExp(0) = %v", e)
	}
	if e := fastExp(float32(math.Inf(-1))); e <= 0 || e > 1e-34 {
		t.Fatalf("fastExp(-Inf) = %v", e)
	}
}
