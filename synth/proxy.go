package synth

import (
	"fmt"
	"math"
)

// Proxy renders a proxy-anomaly training image into bgr (BGR24, len 3·w·h) and gt
// (len w·h): a scene from the drive generator (without its own anomalies) with
// anomaly-like objects pasted on it until they cover about share of the pixels
// (within ±0.02 for shares the frame can hold). gt holds the scene's train ids, 255 on
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
	s := d.pool.Get().(*scratch)
	defer d.pool.Put(s)
	c := canvas{w: w, h: h, bgr: bgr, gt: gt, grain: int(r.u64() & 0xFFFF), shade: 256}
	for it := int64(1); it <= 400 && target-covered > 0.004*total; it++ {
		pr := newRNG(seed, tagProxy, it)
		anomalyShape(&pr, &a)
		a.mat = anomalyMaterial(&pr)
		a.ang = pr.rangef(0, 2*math.Pi)
		// Size the object so its own area is at most what is still missing (and at most
		// 45% of the frame): the share then approaches the target from below.
		want := math.Min(target-covered, 0.45*total) * pr.rangef(0.6, 1)
		unit := polyArea(&a) // area of the unit shape
		scale := math.Sqrt(want / unit)
		cx := pr.rangef(0.1, 0.9) * float64(w)
		cy := pr.rangef(0.25, 0.95) * float64(h)
		ca, sa := math.Cos(a.ang), math.Sin(a.ang)
		pts := s.pts[:0]
		for k := 0; k < a.nv; k++ {
			pts = append(pts, [2]float64{cx + scale*(a.vx[k]*ca-a.vy[k]*sa), cy - scale*(a.vx[k]*sa+a.vy[k]*ca)})
		}
		c.polygon(pts, cx, cy, scale, a.ang, &a.mat, s.xs)
		covered = float64(countLabel(gt, Anomaly))
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
