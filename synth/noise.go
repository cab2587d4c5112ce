package synth

import "math"

// Two 256×256 tiling noise tables, built once from a fixed seed so every Drive shares
// them: fine white noise (sensor grain, asphalt) and smooth value noise (clouds,
// foliage, stains). Lookups are a mask and an index: cheap enough for every pixel.
var (
	fineNoise   [1 << 16]int8
	smoothNoise [1 << 16]uint8
	hueLUT      [256]rgb // fully saturated hue wheel (anomaly rainbows)
)

func init() {
	r := rng{0x5EED}
	for i := range fineNoise {
		fineNoise[i] = int8(r.u64())
	}
	// Value noise: three octaves of bilinearly interpolated lattice noise, each tiling at 256.
	var acc [1 << 16]float64
	for oct, cell := range []int{32, 16, 8} {
		n := 256 / cell
		lat := make([]float64, n*n)
		for i := range lat {
			lat[i] = r.f()
		}
		amp := 1 / float64(int(1)<<oct)
		for y := 0; y < 256; y++ {
			gy, fy := y/cell, smooth(float64(y%cell)/float64(cell))
			for x := 0; x < 256; x++ {
				gx, fx := x/cell, smooth(float64(x%cell)/float64(cell))
				a := lat[gy*n+gx]
				b := lat[gy*n+(gx+1)%n]
				c := lat[((gy+1)%n)*n+gx]
				d := lat[((gy+1)%n)*n+(gx+1)%n]
				acc[y<<8|x] += amp * (a + (b-a)*fx + (c-a)*fy + (a-b-c+d)*fx*fy)
			}
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range acc {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	for i, v := range acc {
		smoothNoise[i] = uint8(255 * (v - lo) / (hi - lo))
	}
	for i := range hueLUT {
		hueLUT[i] = hsv(float64(i)/256, 1, 1)
	}
}

func smooth(t float64) float64 { return t * t * (3 - 2*t) }

// fine returns white noise in [-128, 127] at an integer lattice point.
func fine(x, y int) int32 { return int32(fineNoise[(y&255)<<8|x&255]) }

// smoothAt returns smooth noise in [0, 255] at a real point (table units).
func smoothAt(x, y float64) int32 {
	return int32(smoothNoise[(int(y)&255)<<8|int(x)&255])
}

// hsv converts hue, saturation, value in [0,1] to RGB.
func hsv(h, s, v float64) rgb {
	h = (h - math.Floor(h)) * 6
	i := int(h)
	f := h - float64(i)
	p, q, t := v*(1-s), v*(1-s*f), v*(1-s*(1-f))
	var r, g, b float64
	switch i {
	case 0:
		r, g, b = v, t, p
	case 1:
		r, g, b = q, v, p
	case 2:
		r, g, b = p, v, t
	case 3:
		r, g, b = p, q, v
	case 4:
		r, g, b = t, p, v
	default:
		r, g, b = v, p, q
	}
	return rgb{uint8(255*r + 0.5), uint8(255*g + 0.5), uint8(255*b + 0.5)}
}
