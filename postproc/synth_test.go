package postproc

import (
	"math"
	"math/rand/v2"
)

// synthLogits builds a realistic class map for benchmarks and cross-checks: a confident street scene
// (sky, buildings, vegetation, road, sidewalk, cars; logit margins 6–12 with noise) and nBlobs
// high-entropy blobs (flat logits fading smoothly into the scene), covering a few % of the pixels.
// It returns the logits and their softmax (computed in float64), both C×H×W.
func synthLogits(c, h, w, nBlobs int, seed uint64) (logits, probs []float32) {
	r := rand.New(rand.NewPCG(seed, 7))
	hw := h * w
	logits = make([]float32, c*hw)
	probs = make([]float32, c*hw)
	type blob struct{ cx, cy, rx, ry float64 }
	blobs := make([]blob, nBlobs)
	for i := range blobs {
		blobs[i] = blob{r.Float64() * float64(w), float64(h)*0.35 + r.Float64()*float64(h)*0.65,
			3 + r.Float64()*float64(w)/50, 3 + r.Float64()*float64(h)/34}
	}
	type car struct{ x0, x1, y0, y1 int }
	cars := make([]car, 6)
	for i := range cars {
		x0, y0 := r.IntN(w), h/2+r.IntN(h/4)
		cars[i] = car{x0, x0 + w/16 + r.IntN(w/16), y0, y0 + h/12 + r.IntN(h/12)}
	}
	x := make([]float64, c)
	for y := 0; y < h; y++ {
		for xx := 0; xx < w; xx++ {
			// The scene class of this pixel.
			cls := 0 // road
			switch {
			case y < h/4:
				cls = 10 // sky
			case y < h/2 && xx < w/3:
				cls = 2 // building
			case y < h/2 && xx > 2*w/3:
				cls = 8 // vegetation
			case y < h/2:
				cls = 2
			case xx < w/8 || xx > 7*w/8:
				cls = 1 // sidewalk
			}
			for _, k := range cars {
				if xx >= k.x0 && xx < k.x1 && y >= k.y0 && y < k.y1 {
					cls = 13
				}
			}
			// Network outputs are spatially smooth: a slowly varying margin, little per-pixel noise.
			margin := 9 + 3*math.Sin(float64(xx)/37+float64(cls))*math.Cos(float64(y)/23)
			for k := range x {
				x[k] = r.NormFloat64()*0.3 + 1.5*math.Sin(float64(xx*(k+1))/97+float64(y)/53+float64(k))
			}
			x[cls%c] += margin
			// Blend towards flat logits inside blobs.
			lam := 0.0
			for _, b := range blobs {
				dx, dy := (float64(xx)-b.cx)/b.rx, (float64(y)-b.cy)/b.ry
				if d := dx*dx + dy*dy; d < 1 {
					lam = max(lam, math.Min(1, (1-d)*4)) // a narrow fade at the rim
				}
			}
			if lam > 0 {
				for k := range x {
					x[k] = (1-lam)*x[k] + lam*r.NormFloat64()*0.15
				}
			}
			i := y*w + xx
			mx := x[0]
			for _, v := range x {
				mx = max(mx, v)
			}
			var s float64
			for k, v := range x {
				logits[k*hw+i] = float32(v)
				s += math.Exp(v - mx)
			}
			for k, v := range x {
				probs[k*hw+i] = float32(math.Exp(v-mx) / s)
			}
		}
	}
	return logits, probs
}
