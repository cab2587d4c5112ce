package postproc

import (
	"sync"
	"testing"

	"github.com/metaood/metaood/internal/cputime"
)

// The benchmark map: 19×512×1024, tens of anomaly blobs. Built once (it takes a moment).
var (
	benchOnce          sync.Once
	benchLog, benchPrb []float32
)

const benchC, benchH, benchW = 19, 512, 1024

func benchMaps(b *testing.B) ([]float32, []float32) {
	benchOnce.Do(func() { benchLog, benchPrb = synthLogits(benchC, benchH, benchW, 40, 1) })
	return benchLog, benchPrb
}

// BenchmarkProcess is the whole per-frame job on one goroutine: entropy map, mask, components and
// every metric. Reports ns/pixel (wall and CPU) and the speed-up over the reference (~10.5 µs/pixel).
func BenchmarkProcess(b *testing.B) {
	logits, probs := benchMaps(b)
	for _, bc := range []struct {
		name   string
		data   []float32
		logits bool
	}{{"probs", probs, false}, {"logits", logits, true}} {
		b.Run(bc.name, func(b *testing.B) {
			p := New(DefaultOptions())
			in := Input{C: benchC, H: benchH, W: benchW, Data: bc.data, Logits: bc.logits}
			r, err := p.Process(in)
			if err != nil {
				b.Fatal(err)
			}
			comps, px := len(r.Components), 0
			for _, c := range r.Components {
				px += c.Area
			}
			r.Release()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cputime.Process()
			for b.Loop() {
				r, err := p.Process(in)
				if err != nil {
					b.Fatal(err)
				}
				r.Release()
			}
			cpu := cputime.Process() - cpu0
			// Wall time counts waits for a core on a shared machine; CPU time is the work itself.
			cpuPerPixel := float64(cpu.Nanoseconds()) / float64(b.N) / float64(benchH*benchW)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(benchH*benchW), "ns/pixel")
			b.ReportMetric(cpuPerPixel, "cpu-ns/pixel")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e6, "cpu-ms/op")
			// No ratio to the reference here: a speed-up is measured side by side on the same
			// input and core (make bench-sidebyside), never against a figure from a document.
			if simdActive {
				b.Log("AVX2 kernels active")
			}
			b.ReportMetric(float64(comps), "components")
			b.ReportMetric(100*float64(px)/float64(benchH*benchW), "%anomaly")
		})
	}
}

// BenchmarkEntropy isolates the full-frame pass, the only one that touches every value.
func BenchmarkEntropy(b *testing.B) {
	logits, probs := benchMaps(b)
	ent := make([]float32, benchH*benchW)
	am := make([]uint8, benchH*benchW)
	b.Run("probs", func(b *testing.B) {
		for b.Loop() {
			if err := entropyProbs(probs, benchC, benchW, benchH*benchW, ent, am); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("logits", func(b *testing.B) {
		for b.Loop() {
			if err := entropyLogits(logits, benchC, benchW, benchH*benchW, ent, am); err != nil {
				b.Fatal(err)
			}
		}
	})
}
