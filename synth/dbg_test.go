package synth

import "testing"

func TestDbg(t *testing.T) {
	cfg := DefaultConfig()
	d := NewDrive(cfg)
	bgr, gt := make([]byte, 3*cfg.W*cfg.H), make([]uint8, cfg.W*cfg.H)
	for i := 0; i < 1500; i += 10 {
		d.Frame(i, bgr, gt)
		if a := countLabel(gt, Anomaly); a > 20000 {
			t.Logf("frame %d: %d", i, a)
		}
	}
}
