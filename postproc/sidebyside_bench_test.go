package postproc

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/metaood/metaood/internal/cputime"
	"github.com/metaood/metaood/internal/npy"
)

// BenchmarkProcessUpsampled times Process on the side-by-side maps of bench/sidebyside.sh
// (METAOOD_BENCH_MAPS: the output of bench/upsample_maps.py); skipped when that is not set.
func BenchmarkProcessUpsampled(b *testing.B) {
	dir := os.Getenv("METAOOD_BENCH_MAPS")
	if dir == "" {
		b.Skip("METAOOD_BENCH_MAPS not set (bench/sidebyside.sh sets it)")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range ents {
		a, err := npy.ReadFile(filepath.Join(dir, e.Name(), "probs.npy"))
		if err != nil {
			b.Fatal(err)
		}
		gt, _, _, err := ReadLabelPNG(filepath.Join(dir, e.Name(), "gt.png"))
		if err != nil {
			b.Fatal(err)
		}
		in := Input{C: a.Shape[0], H: a.Shape[1], W: a.Shape[2], Data: a.F32, GT: gt}
		b.Run(e.Name(), func(b *testing.B) {
			p := New(DefaultOptions())
			b.ReportAllocs()
			cpu0 := cputime.Process()
			for b.Loop() {
				r, err := p.Process(in)
				if err != nil {
					b.Fatal(err)
				}
				r.Release()
			}
			// CPU time: on a shared machine the wall time also counts waits for the core.
			b.ReportMetric(float64((cputime.Process()-cpu0).Nanoseconds())/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}
