package synth

import "math"

// sprite is one thing standing in the scene, drawn far to near (painter's algorithm).
type sprite struct {
	z    float64 // depth of its nearest face (m): the drawing order
	kind uint8
	sub  uint8   // vehicle type, sign shape, …
	x    float64 // lateral centre (m)
	y, h float64 // base height and height (m); meaning depends on kind
	w    float64
	col  rgb
	t    float64 // animation phase
	flag bool
	ref  int     // index into scratch.anoms for anomalies
	zn   float64 // true depth of a vehicle's near face (z may be clamped to nearClip)
}

const (
	spPole uint8 = iota
	spSign
	spLight
	spTree
	spPerson
	spParked
	spVehicle
	spAnomaly
)

// sortSprites orders sprites far to near; insertion sort keeps it stable and allocation-free.
func sortSprites(a []sprite) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j].z > a[j-1].z; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

func (s *scratch) add(sp sprite) {
	if sp.z < nearClip || sp.z > farClip || len(s.sprites) == cap(s.sprites) {
		return
	}
	s.sprites = append(s.sprites, sp)
}

// tri is a triangle wave in [0, 1] with period 1.
func tri(x float64) float64 { return 2 * math.Abs(frac(x)-0.5) }

const poleX = 6.85 // poles stand on the sidewalk, just behind the curb

// addStreetSprites adds poles, signs, traffic lights, trees, parked two-wheelers and
// pedestrians of the visible blocks.
func (d *Drive) addStreetSprites(s *scratch, v *view) {
	for j := 0; j < s.nb; j++ {
		bi := s.b0 + int64(j)
		z0 := float64(bi) * blockLen
		for side := range 2 {
			b := &s.blocks[side][j]
			sg := float64(2*side - 1)
			for _, pl := range b.poles {
				if !pl.on {
					continue
				}
				z := z0 + pl.z - v.camZ
				s.add(sprite{z: z, kind: spPole, x: sg * poleX, h: pl.h, w: 0.16, flag: pl.light})
				if pl.sign != 0 {
					s.add(sprite{z: z - 0.05, kind: spSign, sub: pl.sign, x: sg * poleX, y: pl.signH, w: 0.75})
				}
				if pl.light {
					s.add(sprite{z: z - 0.1, kind: spLight, x: sg * (poleX - 2.6), y: pl.h - 1.4, h: 1.0, w: 0.36, flag: pl.lightRed})
				}
			}
			for _, t := range b.trees {
				if t.on {
					s.add(sprite{z: z0 + t.z - v.camZ, kind: spTree, x: sg * t.x, y: t.h, h: t.r * t.q, w: t.r})
				}
			}
			for _, p := range b.bikes {
				if p.on {
					sub := uint8(0)
					if p.moto {
						sub = 1
					}
					s.add(sprite{z: z0 + p.z - v.camZ, kind: spParked, sub: sub, x: sg * p.x})
				}
			}
			r := newRNG(d.cfg.Seed, tagPeople, bi*2+int64(side))
			n := 0
			switch p := r.f(); {
			case p < 0.4:
			case p < 0.85:
				n = 1 + r.intn(2)
			default:
				n = 3 + r.intn(3)
			}
			for range n {
				base, amp := r.rangef(0, blockLen), r.rangef(1, 10)
				speed, ph := r.rangef(0.03, 0.05), r.f()
				x := sg * r.rangef(7.2, 9.6)
				hgt := r.rangef(1.55, 1.92)
				col := colPerson.scale(r.rangef(0.85, 1.15))
				z := z0 + base + amp*tri(float64(v.frame)*speed/(2*amp)+ph)
				s.add(sprite{z: z - v.camZ, kind: spPerson, x: x, h: hgt, col: col, t: float64(v.frame)*0.22 + ph*6})
			}
		}
	}
}

// drawSprite paints one sprite.
func (d *Drive) drawSprite(c *canvas, v *view, s *scratch, sp *sprite) {
	z := sp.z
	switch sp.kind {
	case spPole:
		m := material{cls: Pole, pat: patPlain, c0: colPole, amp: 5, grain: 5, k: 50}
		c.quad(v, z, sp.x-sp.w/2, sp.x+sp.w/2, 0, sp.h, &m)
		if sp.flag { // arm over the road carrying a traffic light
			x0, x1 := sp.x, sp.x-math.Copysign(2.7, sp.x)
			c.quad(v, z, math.Min(x0, x1), math.Max(x0, x1), sp.h-0.5, sp.h-0.38, &m)
		}
	case spSign:
		rim := material{cls: TrafficSign, pat: patPlain, c0: colSignRim, amp: 5, grain: 4, k: 50}
		face := material{cls: TrafficSign, pat: patPlain, c0: colSignFace, amp: 5, grain: 4, k: 50}
		r := sp.w / 2
		switch sp.sub {
		case 1:
			c.ellipse(v, z, sp.x, sp.y, r, r, &rim)
			c.ellipse(v, z, sp.x, sp.y, r*0.7, r*0.7, &face)
		case 2:
			d.triangle(c, v, s, z, sp.x, sp.y, r, &rim)
			d.triangle(c, v, s, z, sp.x, sp.y-r*0.1, r*0.6, &face)
		default:
			c.quad(v, z, sp.x-r, sp.x+r, sp.y-r, sp.y+r, &rim)
			c.quad(v, z, sp.x-r*0.75, sp.x+r*0.75, sp.y-r*0.75, sp.y+r*0.75, &face)
		}
	case spLight:
		box := material{cls: TrafficLight, pat: patPlain, c0: colLightBox, amp: 5, grain: 4, k: 50}
		c.quad(v, z, sp.x-sp.w/2, sp.x+sp.w/2, sp.y, sp.y+sp.h, &box)
		lamp := material{cls: TrafficLight, pat: patPlain, c0: colLampGreen, amp: 5, grain: 4, k: 50}
		ly := sp.y + sp.h*0.2
		if sp.flag {
			lamp.c0, ly = colLampRed, sp.y+sp.h*0.8
		}
		c.ellipse(v, z-0.01, sp.x, ly, sp.w*0.32, sp.w*0.32, &lamp)
	case spTree:
		trunk := material{cls: Vegetation, pat: patPlain, c0: rgb{74, 80, 44}, amp: 14, grain: 6, k: 10}
		c.quad(v, z, sp.x-0.15, sp.x+0.15, 0, sp.y+sp.h*0.5, &trunk)
		crown := material{cls: Vegetation, pat: patLeaves, c0: colVeg, c1: colVegDark, amp: 50, grain: 8, k: 3}
		c.ellipse(v, z, sp.x, sp.y+sp.h*0.8, sp.w, sp.h, &crown)
	case spPerson:
		d.drawPerson(c, v, sp)
	case spParked:
		d.drawParked(c, v, sp)
	case spVehicle:
		d.drawVehicle(c, v, sp)
	case spAnomaly:
		d.drawAnomaly(c, v, s, &s.anoms[sp.ref])
	}
}

// triangle paints an upward-pointing triangle sign of "radius" r centred at (x, y), depth z.
func (d *Drive) triangle(c *canvas, v *view, s *scratch, z, x, y, r float64, m *material) {
	pts := s.pts[:0]
	for k := range 3 {
		a := math.Pi/2 + float64(k)*2*math.Pi/3
		pts = append(pts, [2]float64{v.sx(x+r*math.Cos(a), z), v.sy(y+r*math.Sin(a), z)})
	}
	c.polygon(pts, v.sx(x, z), v.sy(y, z), v.f/z, 0, m, s.xs)
}

// drawPerson paints a pedestrian (sub 0) or a rider on a motorcycle (1) or bicycle (2).
func (d *Drive) drawPerson(c *canvas, v *view, sp *sprite) {
	z, x, h := sp.z, sp.x, sp.h
	if sp.sub == 0 {
		body := material{cls: Person, pat: patPlain, c0: sp.col, amp: 5, grain: 6, k: 50}
		legs := material{cls: Person, pat: patPlain, c0: colPersonLegs, amp: 5, grain: 6, k: 50}
		skin := material{cls: Person, pat: patPlain, c0: colSkin, amp: 5, grain: 5, k: 50}
		sw := 0.07 * math.Sin(sp.t)
		c.quad(v, z, x-0.17+sw, x-0.03+sw, 0, 0.48*h, &legs)
		c.quad(v, z, x+0.03-sw, x+0.17-sw, 0, 0.48*h, &legs)
		c.quad(v, z, x-0.22, x+0.22, 0.46*h, 0.83*h, &body)
		c.ellipse(v, z, x, 0.9*h, 0.062*h, 0.075*h, &skin)
		return
	}
	body := material{cls: Rider, pat: patPlain, c0: sp.col, amp: 5, grain: 6, k: 50}
	legs := material{cls: Rider, pat: patPlain, c0: colRiderLegs, amp: 5, grain: 6, k: 50}
	head := material{cls: Rider, pat: patPlain, c0: colSkin, amp: 5, grain: 5, k: 50}
	if !sp.flag { // motorcyclists wear helmets
		head.c0 = sp.col.scale(0.6)
	}
	c.quad(v, z, x-0.17, x+0.17, 0.45, 0.98, &legs)
	c.quad(v, z, x-0.23, x+0.23, 0.95, 1.5, &body)
	c.ellipse(v, z, x, 1.62, 0.12, 0.13, &head)
}

// drawParked paints a two-wheeler parked sideways on the sidewalk (sub 0 bicycle, 1 motorcycle).
func (d *Drive) drawParked(c *canvas, v *view, sp *sprite) {
	z, x := sp.z, sp.x
	if sp.sub == 0 {
		m := material{cls: Bicycle, pat: patPlain, c0: colBicycle, amp: 5, grain: 5, k: 50}
		c.ring(v, z, x-0.52, 0.34, 0.34, 0.28, &m)
		c.ring(v, z, x+0.52, 0.34, 0.34, 0.28, &m)
		c.quad(v, z, x-0.42, x+0.4, 0.6, 0.66, &m)
		c.quad(v, z, x-0.1, x-0.03, 0.3, 0.76, &m)
		c.quad(v, z, x+0.38, x+0.44, 0.34, 0.98, &m)
		c.quad(v, z, x-0.24, x+0.04, 0.76, 0.81, &m)
		return
	}
	m := material{cls: Motorcycle, pat: patPlain, c0: colMotorcycle, amp: 5, grain: 5, k: 50}
	dark := material{cls: Motorcycle, pat: patPlain, c0: colMotorcycle.scale(0.45), amp: 5, grain: 5, k: 50}
	c.ring(v, z, x-0.62, 0.32, 0.32, 0.16, &dark)
	c.ring(v, z, x+0.62, 0.32, 0.32, 0.16, &dark)
	c.ellipse(v, z, x, 0.62, 0.62, 0.22, &m)
	c.quad(v, z, x-0.5, x+0.05, 0.78, 0.86, &dark)
	c.quad(v, z, x+0.5, x+0.56, 0.6, 1.05, &m)
}
