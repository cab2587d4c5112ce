package synth

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"
)

func render(t testing.TB, cfg Config, i int) ([]byte, []uint8) {
	t.Helper()
	d := NewDrive(cfg)
	bgr := make([]byte, 3*cfg.W*cfg.H)
	gt := make([]uint8, cfg.W*cfg.H)
	d.Frame(i, bgr, gt)
	return bgr, gt
}

func small(seed int64) Config {
	c := DefaultConfig()
	c.W, c.H, c.Seed = 256, 128, seed
	return c
}

func TestDeterministic(t *testing.T) {
	cfg := small(5)
	d := NewDrive(cfg)
	n := cfg.W * cfg.H
	a, ga := make([]byte, 3*n), make([]uint8, n)
	b, gb := make([]byte, 3*n), make([]uint8, n)
	// Random access: render frames out of order, then compare with a fresh drive.
	for _, i := range []int{90, 3, 500, 90} {
		d.Frame(i, a, ga)
	}
	NewDrive(cfg).Frame(90, b, gb)
	if !bytes.Equal(a, b) || !bytes.Equal(ga, gb) {
		t.Fatal("frame 90 differs between renders")
	}
	// Any index works, also negative and far ones, with valid labels.
	for _, i := range []int{-500, 1 << 30} {
		d.Frame(i, a, ga)
		for p, l := range ga {
			if l >= NumClasses && l != Anomaly && l != Ignore {
				t.Fatalf("frame %d pixel %d: label %d", i, p, l)
			}
		}
	}
	// Same frame from the big default size too.
	x1, g1 := render(t, DefaultConfig(), 77)
	x2, g2 := render(t, DefaultConfig(), 77)
	if sha256.Sum256(x1) != sha256.Sum256(x2) || !bytes.Equal(g1, g2) {
		t.Fatal("default frame 77 not deterministic")
	}
}

func TestSeedsAndFramesDiffer(t *testing.T) {
	a, _ := render(t, small(1), 10)
	b, _ := render(t, small(2), 10)
	c, _ := render(t, small(1), 11)
	if bytes.Equal(a, b) {
		t.Error("seeds 1 and 2 give the same frame")
	}
	if bytes.Equal(a, c) {
		t.Error("consecutive frames are identical")
	}
}

func TestLabelsValid(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		cfg := small(seed)
		d := NewDrive(cfg)
		bgr, gt := make([]byte, 3*cfg.W*cfg.H), make([]uint8, cfg.W*cfg.H)
		for i := 0; i < 400; i += 37 {
			for p := range gt {
				gt[p] = 200 // not a valid label: every pixel must be overwritten
			}
			d.Frame(i, bgr, gt)
			for p, l := range gt {
				if l >= NumClasses && l != Anomaly && l != Ignore {
					t.Fatalf("seed %d frame %d pixel %d: label %d", seed, i, p, l)
				}
			}
			if gt[len(gt)-cfg.W/2] != Ignore {
				t.Errorf("seed %d frame %d: bottom centre is %d, want hood (255)", seed, i, gt[len(gt)-cfg.W/2])
			}
		}
	}
}

// TestClassCoverage: every train id shows up over a short drive, at the default size.
func TestClassCoverage(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		cfg := DefaultConfig()
		cfg.W, cfg.H, cfg.Seed = 512, 256, seed
		d := NewDrive(cfg)
		bgr, gt := make([]byte, 3*cfg.W*cfg.H), make([]uint8, cfg.W*cfg.H)
		var count [256]int
		for i := 0; i < 450; i += 9 {
			d.Frame(i, bgr, gt)
			for _, l := range gt {
				count[l]++
			}
		}
		for c := range NumClasses {
			if count[c] == 0 {
				t.Errorf("seed %d: class %d (%s) never appears in 450 frames", seed, c, ClassNames[c])
			}
		}
		if count[Anomaly] == 0 {
			t.Errorf("seed %d: no anomaly pixels", seed)
		}
		// The big classes dominate, like Cityscapes.
		total := 0
		for _, n := range count {
			total += n
		}
		if r := float64(count[Road]) / float64(total); r < 0.2 {
			t.Errorf("seed %d: road is only %.0f%% of pixels", seed, 100*r)
		}
	}
}

// TestAnomalyStretches: anomalies come and go, with stretches of frames with none,
// never more than MaxAnomalies at a time, and none at all when switched off.
func TestAnomalyStretches(t *testing.T) {
	cfg := small(4)
	d := NewDrive(cfg)
	s := d.get()
	defer d.put(s)
	longestOn, longestOff, run, last := 0, 0, 0, false
	for i := 0; i < 1500; i++ {
		v := d.view(i)
		s.sprites, s.anoms = s.sprites[:0], s.anoms[:0]
		d.addAnomalies(s, &v)
		if len(s.anoms) > cfg.MaxAnomalies && cfg.MaxAnomalies > 0 || len(s.anoms) > 3 {
			t.Fatalf("frame %d: %d anomalies at once", i, len(s.anoms))
		}
		on := len(s.anoms) > 0
		if on != last {
			run = 0
		}
		run++
		last = on
		if on {
			longestOn = max(longestOn, run)
		} else {
			longestOff = max(longestOff, run)
		}
	}
	if longestOn < 30 || longestOff < 60 {
		t.Errorf("longest stretch with anomalies %d, without %d frames; want ≥ 30 and ≥ 60", longestOn, longestOff)
	}
	// Rendered ground truth agrees: frame 0 is before the first anomaly starts.
	_, gt := render(t, cfg, 0)
	if bytes.IndexByte(gt, Anomaly) >= 0 {
		t.Error("frame 0 has anomaly pixels")
	}
	off := cfg
	off.Anomalies = false
	for i := 0; i < 700; i += 50 {
		if _, gt := render(t, off, i); bytes.IndexByte(gt, Anomaly) >= 0 {
			t.Fatalf("Anomalies=false: frame %d has anomaly pixels", i)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"tiny", func(c *Config) { c.W = 8 }, false},
		{"huge", func(c *Config) { c.H = 100000 }, false},
		{"anomalies", func(c *Config) { c.MaxAnomalies = 4 }, false},
		{"speed", func(c *Config) { c.Speed = -1 }, false},
		{"lighting off", func(c *Config) { c.Lighting = -1 }, true},
		{"lighting", func(c *Config) { c.Lighting = 3 }, false},
		{"hood", func(c *Config) { c.Hood = 0.5 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v is not ErrConfig", err)
			}
		})
	}
}

func TestFramePanicsOnBadBuffer(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a short buffer")
		}
	}()
	NewDrive(small(1)).Frame(0, make([]byte, 10), nil)
}

func TestNoAllocs(t *testing.T) {
	cfg := small(1)
	d := NewDrive(cfg)
	bgr, gt := make([]byte, 3*cfg.W*cfg.H), make([]uint8, cfg.W*cfg.H)
	d.Frame(0, bgr, gt)
	i := 0
	if n := testing.AllocsPerRun(20, func() { i += 13; d.Frame(i, bgr, gt) }); n > 0 {
		t.Errorf("Frame allocates %.1f times per call", n)
	}
}

func BenchmarkFrame(b *testing.B) {
	cfg := DefaultConfig()
	d := NewDrive(cfg)
	bgr, gt := make([]byte, 3*cfg.W*cfg.H), make([]uint8, cfg.W*cfg.H)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.Frame(i, bgr, gt)
		i++
	}
}

// TestConcurrentFrames: one Drive serves several goroutines (a capture source and a
// dataset writer may share it); results match serial renders.
func TestConcurrentFrames(t *testing.T) {
	cfg := small(8)
	d := NewDrive(cfg)
	want := make([][]byte, 8)
	for i := range want {
		want[i] = make([]byte, 3*cfg.W*cfg.H)
		d.Frame(i*17, want[i], nil)
	}
	errs := make(chan error, len(want))
	for i := range want {
		go func() {
			bgr := make([]byte, 3*cfg.W*cfg.H)
			gt := make([]uint8, cfg.W*cfg.H)
			d.Frame(i*17, bgr, gt)
			if !bytes.Equal(bgr, want[i]) {
				errs <- fmt.Errorf("frame %d differs when rendered concurrently", i*17)
				return
			}
			errs <- nil
		}()
	}
	for range want {
		select {
		case err := <-errs:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(time.Minute):
			t.Fatal("timeout")
		}
	}
}

// TestOddSizes: any valid size renders without panicking, with valid labels.
func TestOddSizes(t *testing.T) {
	for _, sz := range [][2]int{{32, 32}, {33, 97}, {640, 480}, {2048, 64}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			cfg := Config{W: sz[0], H: sz[1], Seed: 3, Anomalies: true, Hood: -1}
			bgr, gt := render(t, cfg, 150)
			for p, l := range gt {
				if l >= NumClasses && l != Anomaly && l != Ignore {
					t.Fatalf("pixel %d: label %d", p, l)
				}
			}
			if bytes.IndexByte(gt, Ignore) >= 0 {
				t.Error("Hood: -1 still has ignore pixels")
			}
			Proxy(4, sz[0], sz[1], 0.3, bgr, gt)
		})
	}
}
