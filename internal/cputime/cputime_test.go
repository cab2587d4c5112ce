package cputime

import (
	"runtime"
	"testing"
	"time"
)

// TestProcessCountsWork: spinning makes the process's CPU time grow (no timing bound: the
// machine may be busy, so it spins until 20 ms of CPU time have passed, giving up after 10 s).
func TestProcessCountsWork(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no getrusage")
	}
	before := Process()
	x := 0.0
	for start := time.Now(); Process()-before < 20*time.Millisecond; {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("10 s of spinning added %v of CPU time (x=%g)", Process()-before, x)
		}
		for range 100000 {
			x += 1e-9
		}
	}
}
