package stream

import (
	"testing"
)

func TestBGRToI420Colors(t *testing.T) {
	cases := []struct {
		name    string
		b, g, r byte
		y, u, v byte
	}{
		{"black", 0, 0, 0, 16, 128, 128},
		{"white", 255, 255, 255, 235, 128, 128},
		{"red", 0, 0, 255, 82, 90, 240},
		{"green", 0, 255, 0, 145, 54, 34},
		{"blue", 255, 0, 0, 41, 240, 110},
	}
	near := func(a, b byte) bool { return a <= b+1 && b <= a+1 }
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			const w, h = 5, 3 // odd sizes exercise the edge repeat
			bgr := make([]byte, 3*w*h)
			for i := 0; i < w*h; i++ {
				bgr[3*i], bgr[3*i+1], bgr[3*i+2] = c.b, c.g, c.r
			}
			cw, ch := (w+1)/2, (h+1)/2
			y, u, v := make([]byte, w*h), make([]byte, cw*ch), make([]byte, cw*ch)
			bgrToI420(bgr, w, h, y, u, v)
			for i := range y {
				if !near(y[i], c.y) {
					t.Fatalf("Y[%d] = %d, want %d", i, y[i], c.y)
				}
			}
			for i := range u {
				if !near(u[i], c.u) || !near(v[i], c.v) {
					t.Fatalf("UV[%d] = %d,%d, want %d,%d", i, u[i], v[i], c.u, c.v)
				}
			}
		})
	}
}

func TestMarkerRoundTrip(t *testing.T) {
	const w, h = 320, 16
	for _, seq := range []uint64{0, 1, 2, 12345, 1<<24 - 1, 1 << 24} {
		y := make([]byte, w*h)
		u, v := make([]byte, w/2*h/2), make([]byte, w/2*h/2)
		stampMarker(seq, w, h, y, u, v)
		got, ok := readMarker(y, w, h)
		if want := seq & (1<<24 - 1); !ok || got != want {
			t.Errorf("seq %d: read %d, %v; want %d", seq, got, ok, want)
		}
	}
	// A blank picture and a corrupted bit are not markers.
	y := make([]byte, w*h)
	if _, ok := readMarker(y, w, h); ok {
		t.Error("blank picture read as a marker")
	}
	stampMarker(77, w, h, y, make([]byte, w*h/4), make([]byte, w*h/4))
	for r := 0; r < markerBlock; r++ { // flip seq's least significant bit
		for k := 0; k < markerBlock; k++ {
			y[r*w+markerSeqBits*markerBlock+k] ^= 0xff
		}
	}
	if _, ok := readMarker(y, w, h); ok {
		t.Error("corrupted marker accepted")
	}
	// Too small for a marker: untouched.
	small := make([]byte, 64*8)
	stampMarker(5, 64, 8, small, make([]byte, 128), make([]byte, 128))
	for _, b := range small {
		if b != 0 {
			t.Fatal("marker drawn into a frame too small for it")
		}
	}
}

func FuzzReadMarker(f *testing.F) {
	y := make([]byte, markerW*markerH)
	stampMarker(42, markerW, markerH, y, make([]byte, markerW*markerH/4), make([]byte, markerW*markerH/4))
	f.Add(y)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < markerW*markerH {
			return
		}
		seq, ok := readMarker(data, markerW, markerH)
		if !ok {
			return
		}
		// Whatever reads as a marker must be exactly what stampMarker draws for it at the sample points.
		again := make([]byte, markerW*markerH)
		stampMarker(seq, markerW, markerH, again, make([]byte, markerW*markerH/4), make([]byte, markerW*markerH/4))
		if s2, ok2 := readMarker(again, markerW, markerH); !ok2 || s2 != seq {
			t.Fatalf("re-stamped %d reads as %d, %v", seq, s2, ok2)
		}
	})
}

func BenchmarkBGRToI420_1024x512(b *testing.B) {
	const w, h = 1024, 512
	bgr := make([]byte, 3*w*h)
	for i := range bgr {
		bgr[i] = byte(i * 7)
	}
	y, u, v := make([]byte, w*h), make([]byte, w*h/4), make([]byte, w*h/4)
	b.SetBytes(int64(len(bgr)))
	for b.Loop() {
		bgrToI420(bgr, w, h, y, u, v)
	}
}
