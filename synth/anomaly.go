package synth

import "math"

// Anomalies live in slots of anomalySlot frames. A slot is quiet (none) or holds 1..Max
// anomalies whose lives stay inside it, so there are never more than Max at a time and
// there are stretches with none (for the emergency "clear" events).
const (
	anomalySlot = 240
	maxVerts    = 24
)

// anomaly is one anomaly's state at the frame being drawn.
type anomaly struct {
	z, x, y float64 // depth, lateral position, height of the lowest point (m)
	hs      float64 // half-size (m): the shape spans about [-hs, hs]
	ang     float64 // rotation (rad)
	nv      int
	vx, vy  [maxVerts]float64 // unit shape
	mat     material
}

// saturatedHues are the anomaly hues (magenta, hot pink, orange, yellow, lime, spring
// green, cyan, violet): far from every class colour, which are all muted or red/blue.
var saturatedHues = [...]float64{300, 330, 30, 58, 90, 150, 180, 275}

// anomalyColour draws a saturated, bright colour.
func anomalyColour(r *rng) rgb {
	h := saturatedHues[r.intn(len(saturatedHues))] + r.rangef(-8, 8)
	return hsv(h/360, r.rangef(0.85, 1), r.rangef(0.85, 1))
}

// anomalyMaterial draws an anomaly's colour and texture.
func anomalyMaterial(r *rng) material {
	m := material{cls: Anomaly, grain: 6, amp: 24, k: r.logf(1.2, 6)}
	m.c0 = anomalyColour(r)
	m.c1 = anomalyColour(r)
	for m.c1 == m.c0 {
		m.c1 = anomalyColour(r)
	}
	if r.chance(0.25) { // a black or white second colour makes strong patterns
		m.c1 = [2]rgb{{18, 16, 20}, {248, 248, 244}}[r.intn(2)]
	}
	a := r.rangef(0, math.Pi)
	m.ca, m.sa = math.Cos(a), math.Sin(a)
	m.pat = [...]pattern{patPlain, patCheck, patStripes, patDots, patConfett, patRainbow, patRings}[r.intn(7)]
	if m.pat == patPlain {
		m.k = r.rangef(3, 12) // coarse blotches of noise on a saturated colour
		m.amp = 40
	}
	if m.pat == patRainbow {
		m.k = r.rangef(0.2, 0.8)
	}
	return m
}

// anomalyShape fills a unit shape: star-shaped blob, spiky star, box, ellipse or
// irregular polygon, stretched by an aspect ratio.
func anomalyShape(r *rng, a *anomaly) {
	kind := r.f()
	asp := r.logf(0.55, 1.8)
	switch {
	case kind < 0.4: // smooth blob
		a.nv = maxVerts
		var amp, ph [3]float64
		for m := range amp {
			amp[m], ph[m] = r.rangef(0, 0.22), r.rangef(0, 2*math.Pi)
		}
		for k := 0; k < a.nv; k++ {
			t := 2 * math.Pi * float64(k) / float64(a.nv)
			rad := 1.0
			for m := range amp {
				rad += amp[m] * math.Sin(float64(m+2)*t+ph[m])
			}
			a.vx[k], a.vy[k] = rad*math.Cos(t), rad*math.Sin(t)
		}
	case kind < 0.55: // spiky star
		n := 5 + r.intn(7)
		a.nv = 2 * n
		inner := r.rangef(0.35, 0.65)
		for k := 0; k < a.nv; k++ {
			t := 2 * math.Pi * float64(k) / float64(a.nv)
			rad := 1.0
			if k%2 == 1 {
				rad = inner
			}
			a.vx[k], a.vy[k] = rad*math.Cos(t), rad*math.Sin(t)
		}
	case kind < 0.75: // box
		a.nv = 4
		a.vx[0], a.vy[0] = -1, -1
		a.vx[1], a.vy[1] = 1, -1
		a.vx[2], a.vy[2] = 1, 1
		a.vx[3], a.vy[3] = -1, 1
	case kind < 0.9: // ellipse
		a.nv = maxVerts
		for k := 0; k < a.nv; k++ {
			t := 2 * math.Pi * float64(k) / float64(a.nv)
			a.vx[k], a.vy[k] = math.Cos(t), math.Sin(t)
		}
	default: // irregular polygon
		a.nv = 6 + r.intn(6)
		for k := 0; k < a.nv; k++ {
			t := 2 * math.Pi * (float64(k) + r.rangef(-0.3, 0.3)) / float64(a.nv)
			rad := r.rangef(0.5, 1)
			a.vx[k], a.vy[k] = rad*math.Cos(t), rad*math.Sin(t)
		}
	}
	sx, sy := math.Sqrt(asp), 1/math.Sqrt(asp)
	for k := 0; k < a.nv; k++ {
		a.vx[k] *= sx
		a.vy[k] *= sy
	}
}

// anomalyAt computes anomaly j of slot k at frame i; ok is false when it is not alive then.
func (d *Drive) anomalyAt(k int64, j int, i int, a *anomaly) (ok bool) {
	r := newRNG(d.cfg.Seed, tagAnomaly, k*8+int64(j))
	s0 := int(k) * anomalySlot
	start := s0 + 6 + r.intn(40)
	end := s0 + anomalySlot - 8
	life := 70 + r.intn(end-start-70+1)
	sp := d.cfg.Speed
	var z0, relv, x0, vx float64
	switch mode := r.f(); {
	case mode < 0.45: // a still object on the road: we drive towards it, close by the end
		z0 = math.Min(90, 4+sp*float64(life)*r.rangef(0.7, 1.2))
		x0 = r.rangef(-1.6, 1.6)
		if r.chance(0.3) {
			x0 = r.rangef(-4.5, 4.5)
		}
		relv = -sp
	case mode < 0.75: // something moving along the road, slower than us
		z0 = r.rangef(35, 100)
		x0 = r.rangef(-3.5, 3.5)
		relv = -sp * r.rangef(0.2, 0.8)
		vx = r.rangef(-0.02, 0.02)
	default: // crossing from one side to the other
		z0 = r.rangef(12, 45)
		side := float64(2*r.intn(2) - 1)
		x0 = side * r.rangef(6.5, 9)
		vx = -side * r.rangef(0.05, 0.14)
		relv = -sp * r.rangef(0, 0.5)
	}
	if relv < 0 { // it leaves under the bonnet once it gets close
		life = min(life, int((z0-2.5)/-relv))
	}
	// Closer than about 5 m an object on the road is partly below the frame.
	zmin := math.Max(5, math.Min(z0, z0+relv*float64(life)))
	zmax := math.Max(z0, z0+relv*float64(life))
	f := focalPerW * float64(d.cfg.W)
	hs := r.logf(0.15, 2.5)
	// Never more than a quarter of the frame; never less than a few pixels across.
	hs = math.Min(hs, zmin*math.Sqrt(0.25*float64(d.cfg.W*d.cfg.H)/0.8)/(2*f))
	hs = math.Max(hs, 4*zmax/f)
	lift, bounce := 0.0, 0.0
	switch p := r.f(); {
	case p < 0.1:
		bounce = r.rangef(0.2, 0.7)
	case p < 0.2:
		lift = r.rangef(0.2, 1.2)
	}
	ang0, spin := r.rangef(0, 2*math.Pi), 0.0
	if r.chance(0.35) {
		spin = r.rangef(-0.06, 0.06)
	}
	anomalyShape(&r, a)
	a.mat = anomalyMaterial(&r)
	age := i - start
	if age < 0 || age >= life {
		return false
	}
	t := float64(age)
	a.z = z0 + relv*t
	a.x = x0 + vx*t
	a.y = lift + bounce*math.Abs(math.Sin(t*0.12))
	a.hs = hs
	a.ang = ang0 + spin*t
	return a.z >= nearClip
}

// addAnomalies adds the anomalies alive at this frame.
func (d *Drive) addAnomalies(s *scratch, v *view) {
	k := floorDiv(int64(v.frame), anomalySlot)
	r := newRNG(d.cfg.Seed, tagAnomalySlot, k)
	quiet := k%3 == 2 // every third slot: 8 s without anomalies
	n := 1 + r.intn(d.cfg.MaxAnomalies)
	if quiet {
		return
	}
	for j := 0; j < n; j++ {
		s.anoms = append(s.anoms, anomaly{})
		a := &s.anoms[len(s.anoms)-1]
		if !d.anomalyAt(k, j, v.frame, a) {
			s.anoms = s.anoms[:len(s.anoms)-1]
			continue
		}
		s.add(sprite{z: a.z, kind: spAnomaly, ref: len(s.anoms) - 1})
	}
}

// drawAnomaly paints an anomaly standing on (or above) the road at its depth.
func (d *Drive) drawAnomaly(c *canvas, v *view, s *scratch, a *anomaly) {
	ca, sa := math.Cos(a.ang), math.Sin(a.ang)
	low := 0.0 // the rotated shape's lowest point, in units
	for k := 0; k < a.nv; k++ {
		low = math.Min(low, a.vx[k]*sa+a.vy[k]*ca)
	}
	scale := v.f * a.hs / a.z
	cxs := v.sx(a.x, a.z)
	cys := v.sy(a.y-low*a.hs, a.z)
	pts := s.pts[:0]
	for k := 0; k < a.nv; k++ {
		pts = append(pts, [2]float64{
			cxs + scale*(a.vx[k]*ca-a.vy[k]*sa),
			cys - scale*(a.vx[k]*sa+a.vy[k]*ca),
		})
	}
	c.polygon(pts, cxs, cys, scale, a.ang, &a.mat, s.xs)
}
