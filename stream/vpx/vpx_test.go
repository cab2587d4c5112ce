//go:build cgo

package vpx

import (
	"errors"
	"math"
	"testing"
)

// fill paints a moving diagonal gradient with a bright square so consecutive frames differ.
// With texture, a moving hash pattern is added: closer to road scenes than flat gradients.
func fill(e *Encoder, i int, texture bool) {
	c := e.Config()
	y, u, v := e.Planes()
	for r := 0; r < c.H; r++ {
		for x := 0; x < c.W; x++ {
			val := byte((x + r + 4*i) & 0xff)
			if texture {
				h := uint32(x+4*i)*2654435761 ^ uint32(r)*2246822519
				val = val/2 + byte(h>>27)*3
			}
			if x >= 8*i%c.W && x < 8*i%c.W+32 && r >= 16 && r < 48 {
				val = 235
			}
			y[r*c.W+x] = val
		}
	}
	for j := range u {
		u[j], v[j] = 128, byte(100+i%20)
	}
}

func psnr(a, b []byte) float64 {
	var se float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		se += d * d
	}
	if se == 0 {
		return 99
	}
	return 10 * math.Log10(255*255*float64(len(a))/se)
}

func TestRoundTrip(t *testing.T) {
	const w, h = 320, 240
	enc, err := New(Config{W: w, H: h, BitrateKbps: 1500})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	dec, err := NewDecoder(w, h)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	pic := make([]byte, w*h+2*(w/2)*(h/2))
	var buf []byte
	for i := 0; i < 12; i++ {
		fill(enc, i, false)
		force := i == 6
		var key bool
		buf, key, err = enc.Encode(int64(i*33), 33, force, buf)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if len(buf) == 0 {
			t.Fatalf("frame %d: empty output", i)
		}
		if want := i == 0 || force; key != want {
			t.Errorf("frame %d: keyframe %v, want %v", i, key, want)
		}
		if err := dec.Decode(buf, pic); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		y, _, _ := enc.Planes()
		if p := psnr(y, pic[:w*h]); p < 28 {
			t.Errorf("frame %d: luma PSNR %.1f dB, want ≥ 28", i, p)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
	}{
		{"tiny", Config{W: 8, H: 8}},
		{"fps", Config{W: 64, H: 64, FPS: 1000}},
		{"bitrate", Config{W: 64, H: 64, BitrateKbps: 10}},
		{"cpu", Config{W: 64, H: 64, CPUUsed: 20}},
		{"threads", Config{W: 64, H: 64, Threads: 99}},
		{"quantizer", Config{W: 64, H: 64, MaxQuantizer: 64}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := New(c.cfg)
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
			if e != nil {
				t.Fatal("encoder returned with an error")
			}
		})
	}
}

func TestClosed(t *testing.T) {
	e, err := New(Config{W: 64, H: 64})
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	e.Close()
	if _, _, err := e.Encode(0, 33, false, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
}

// BenchmarkEncode1024x512 is the per-frame encode cost at the pipeline's default size.
func BenchmarkEncode1024x512(b *testing.B) {
	e, err := New(Config{W: 1024, H: 512, BitrateKbps: 2500})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	var buf []byte
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fill(e, i, true)
		b.StartTimer()
		if buf, _, err = e.Encode(int64(i*33), 33, false, buf); err != nil {
			b.Fatal(err)
		}
	}
}
