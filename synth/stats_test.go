package synth

import (
	"os"
	"sort"
	"testing"
)

// TestStats logs anomaly statistics of a drive; run with SYNTH_STATS=1 -v.
func TestStats(t *testing.T) {
	if os.Getenv("SYNTH_STATS") == "" {
		t.Skip("set SYNTH_STATS=1")
	}
	cfg := DefaultConfig()
	d := NewDrive(cfg)
	bgr, gt := make([]byte, 3*cfg.W*cfg.H), make([]uint8, cfg.W*cfg.H)
	var areas []int
	on := 0
	var cls [256]int
	n := 0
	for i := 0; i < 3000; i += 5 {
		d.Frame(i, bgr, gt)
		n++
		a := countLabel(gt, Anomaly)
		if a > 0 {
			on++
			areas = append(areas, a)
		}
		for _, l := range gt {
			cls[l]++
		}
	}
	sort.Ints(areas)
	q := func(f float64) int { return areas[int(f*float64(len(areas)-1))] }
	t.Logf("frames with anomalies %d/%d; anomaly px per frame: min %d p10 %d p50 %d p90 %d max %d (%.1f%% of frame)",
		on, n, q(0), q(0.1), q(0.5), q(0.9), q(1), 100*float64(q(1))/float64(cfg.W*cfg.H))
	tot := 0
	for _, c := range cls {
		tot += c
	}
	for c := range NumClasses {
		t.Logf("%-13s %6.2f%%", ClassNames[c], 100*float64(cls[c])/float64(tot))
	}
	t.Logf("%-13s %6.2f%%", "anomaly", 100*float64(cls[Anomaly])/float64(tot))
	t.Logf("%-13s %6.2f%%", "ignore", 100*float64(cls[Ignore])/float64(tot))
}
