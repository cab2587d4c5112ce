package synth

import (
	"fmt"
	"math"
)

// Proxy renders a proxy-anomaly training image into bgr (BGR24, len 3·w·h) and gt
// (len w·h): a scene from the drive generator (without its own anomalies) with
// anomaly-like objects pasted on it until they cover about share of the pixels
// (measured within ±0.015 for shares 0.01 to 1). gt holds the scene's train ids, 255 on
// the hood, and 254 on every pasted pixel. Same arguments → same bytes.
// share ≤ 0.2 gives "informative" images, ≥ 0.8 "mostly anomaly" ones. It panics on
// wrong buffer lengths or a share outside [0, 1].
func Proxy(seed int64, w, h int, share float64, bgr []byte, gt []uint8) {
	if !(share >= 0 && share <= 1) {
		panic(fmt.Sprintf("synth: Proxy: share %g outside [0, 1]", share))
	}
	if len(gt) != w*h {
		panic(fmt.Sprintf("synth: Proxy: gt has %d bytes, want %d*%d = %d", len(gt), w, h, w*h))
	}
	cfg := Config{W: w, H: h, Seed: seed}
	d := NewDrive(cfg)
	r := newRNG(seed, tagProxy, 0)
	d.Frame(r.intn(1<<20), bgr, gt)
	total := float64(w * h)
	target := share * total
	covered := 0.0
	var a anomaly
	s := d.get()
	defer d.put(s)
	c := canvas{w: w, h: h, bgr: bgr, gt: gt, grain: int(r.u64() & 0xFFFF), shade: 256}
	for it := int64(1); it <= 600 && target-covered > 0.003*total; it++ {
		pr := newRNG(seed, tagProxy, it)
		anomalyShape(&pr, &a)
		a.mat = anomalyMaterial(&pr)
		a.ang = pr.rangef(0, 2*math.Pi)
		// Size the object so its own area is at most what is still missing (and at most
		// 45% of the frame): the share then approaches the target from below.
		want := math.Min(target-covered, 0.45*total) * pr.rangef(0.6, 1)
		scale := math.Sqrt(want / polyArea(&a))
		// Centre it on a pixel not yet pasted over (mostly in the lower part, where
		// road anomalies are), so that high shares fill up instead of piling up.
		var cx, cy float64
		for try := 0; try < 32; try++ {
			cx = pr.rangef(0.05, 0.95) * float64(w)
			cy = pr.rangef(0.2, 0.95) * float64(h)
			if share > 0.5 {
				cy = pr.rangef(0, 1) * float64(h)
			}
			if gt[int(cy)*w+int(cx)] != Anomaly {
				break
			}
		}
		ca, sa := math.Cos(a.ang), math.Sin(a.ang)
		pts := s.pts[:0]
		top, bot := math.Inf(1), math.Inf(-1)
		for k := 0; k < a.nv; k++ {
			p := [2]float64{cx + scale*(a.vx[k]*ca-a.vy[k]*sa), cy - scale*(a.vx[k]*sa+a.vy[k]*ca)}
			top, bot = math.Min(top, p[1]), math.Max(bot, p[1])
			pts = append(pts, p)
		}
		// Count the change only in the rows the object touches.
		r0, r1 := span(top, bot, h)
		before := countLabel(gt[r0*w:r1*w], Anomaly)
		c.polygon(pts, cx, cy, scale, a.ang, &a.mat, s.xs)
		covered += float64(countLabel(gt[r0*w:r1*w], Anomaly) - before)
	}
}

// polyArea is the area of an anomaly's unit shape (shoelace formula).
func polyArea(a *anomaly) float64 {
	s := 0.0
	for k := 0; k < a.nv; k++ {
		j := (k + 1) % a.nv
		s += a.vx[k]*a.vy[j] - a.vx[j]*a.vy[k]
	}
	return math.Abs(s) / 2
}

func countLabel(gt []uint8, l uint8) int {
	n := 0
	for _, v := range gt {
		if v == l {
			n++
		}
	}
	return n
}
