package synth

import (
	"bytes"
	"fmt"
	"math"
	"testing"
)

func TestProxyShare(t *testing.T) {
	const w, h = 256, 128
	bgr, gt := make([]byte, 3*w*h), make([]uint8, w*h)
	for _, share := range []float64{0, 0.05, 0.2, 0.5, 0.8} {
		for seed := int64(1); seed <= 6; seed++ {
			t.Run(fmt.Sprintf("share%.2f/seed%d", share, seed), func(t *testing.T) {
				Proxy(seed, w, h, share, bgr, gt)
				got := float64(countLabel(gt, Anomaly)) / float64(w*h)
				if math.Abs(got-share) > 0.05 {
					t.Errorf("pasted share %.3f, want %.2f ± 0.05", got, share)
				}
				for p, l := range gt {
					if l >= NumClasses && l != Anomaly && l != Ignore {
						t.Fatalf("pixel %d: label %d", p, l)
					}
				}
			})
		}
	}
}

func TestProxyDeterministic(t *testing.T) {
	const w, h = 128, 64
	a, ga := make([]byte, 3*w*h), make([]uint8, w*h)
	b, gb := make([]byte, 3*w*h), make([]uint8, w*h)
	Proxy(9, w, h, 0.3, a, ga)
	Proxy(9, w, h, 0.3, b, gb)
	if !bytes.Equal(a, b) || !bytes.Equal(ga, gb) {
		t.Fatal("same seed, different proxy image")
	}
	Proxy(10, w, h, 0.3, b, gb)
	if bytes.Equal(ga, gb) {
		t.Fatal("seeds 9 and 10 give the same mask")
	}
}

func BenchmarkProxy(b *testing.B) {
	const w, h = 1024, 512
	bgr, gt := make([]byte, 3*w*h), make([]uint8, w*h)
	seed := int64(0)
	for b.Loop() {
		seed++
		Proxy(seed, w, h, 0.2, bgr, gt)
	}
}
