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

// Vehicle types.
const (
	vCar uint8 = iota
	vTruck
	vBus
	vTrain
	vMoto
	vBike
)

// vehicleDims are width, height and length (m) by type.
var vehicleDims = [...][3]float64{
	vCar: {1.8, 1.45, 4.3}, vTruck: {2.5, 3.4, 8}, vBus: {2.55, 3.1, 12},
	vTrain: {2.65, 3.6, 30}, vMoto: {0.45, 1.1, 2}, vBike: {0.16, 1.0, 1.7},
}

const (
	vehicleSlot     = 40 // frames per traffic slot
	vehicleLookback = 48 // slots: the longest a vehicle stays in view
)

// vehicle is a vehicle's whole trajectory: depth z0 at frame ts, changing by relv per frame.
type vehicle struct {
	typ       uint8
	x, z0     float64
	relv      float64
	ts, life  int
	col       rgb
	oncoming  bool
	riderCol  rgb
	riderSkin bool
}

// genVehicles appends the vehicles spawned in traffic slot k.
func (d *Drive) genVehicles(k int64, dst []vehicle) []vehicle {
	r := newRNG(d.cfg.Seed, tagVehicle, k)
	sp := d.cfg.Speed
	n := r.intn(3)
	for j := 0; j < n+1; j++ {
		var forced int // fixed rhythm so short drives still see every class
		switch {
		case j == n && k%20 == 3:
			forced = 1 // a tram
		case j == n && k%6 == 1:
			forced = 2 // a cyclist
		case j == n && k%6 == 4:
			forced = 3 // a motorcyclist
		case j == n && k%10 == 8:
			forced = 4 // a bus
		case j == n:
			continue
		}
		var vh vehicle
		vh.ts = int(k)*vehicleSlot + r.intn(vehicleSlot)
		vh.col = carColours[r.intn(len(carColours))].scale(r.rangef(0.88, 1.1))
		vh.riderCol = colRider.scale(r.rangef(0.85, 1.15))
		lane := r.f()
		tp := r.f()
		switch forced {
		case 1:
			lane, vh.typ = 0, vTrain
		case 2:
			lane, vh.typ = 0.95, vBike
		case 3:
			lane, vh.typ = 0.4, vMoto
		case 4:
			lane, vh.typ = 0.1, vBus
		}
		switch {
		case lane < 0.33: // oncoming
			vh.x, vh.oncoming = -3.5+r.rangef(-0.3, 0.3), true
			vh.relv = -(sp + r.rangef(0.25, 0.45))
			vh.z0 = r.rangef(140, 220)
			if forced == 0 {
				vh.typ = pick(tp, vCar, 0.74, vTruck, 0.84, vBus, 0.92, vTrain, 0.94, vMoto)
			}
		case lane < 0.53: // same direction, slower: we catch up
			vh.x = 3.5 + r.rangef(-0.3, 0.3)
			vh.relv = -sp * r.rangef(0.2, 0.6)
			vh.z0 = r.rangef(140, 220)
			if forced == 0 {
				vh.typ = pick(tp, vCar, 0.75, vTruck, 0.86, vBus, 0.95, vMoto, 2, vMoto)
			}
		case lane < 0.65: // same direction, faster: overtakes us on the right
			vh.x = 3.5 + r.rangef(-0.3, 0.3)
			vh.relv = r.rangef(0.08, 0.22)
			vh.z0 = -8
			vh.typ = pick(tp, vCar, 0.85, vMoto, 2, vMoto, 2, vMoto, 2, vMoto)
		case lane < 0.7: // far ahead in our lane, pulling away
			vh.x = r.rangef(-0.3, 0.3)
			vh.relv = r.rangef(0, 0.1)
			vh.z0 = r.rangef(110, 200)
			vh.typ = pick(tp, vCar, 0.8, vTruck, 2, vTruck, 2, vTruck, 2, vTruck)
		case lane < 0.9: // parked
			vh.x = 5.75
			if r.chance(0.35) {
				vh.x = -5.75
			}
			vh.relv = -sp
			vh.z0 = r.rangef(200, 245)
			vh.typ = pick(tp, vCar, 0.88, vTruck, 2, vTruck, 2, vTruck, 2, vTruck)
		default: // bike lane, slower than us
			vh.x = 5.6 + r.rangef(-0.2, 0.2)
			vh.relv = -sp * r.rangef(0.3, 0.6)
			vh.z0 = r.rangef(120, 200)
			if forced == 0 {
				vh.typ = pick(tp, vBike, 0.65, vMoto, 2, vMoto, 2, vMoto, 2, vMoto)
			}
		}
		vh.riderSkin = vh.typ == vBike
		L := vehicleDims[vh.typ][2]
		switch {
		case vh.relv < 0:
			vh.life = int((vh.z0 + L + 2) / -vh.relv)
		case vh.relv > 0:
			vh.life = int((farClip - vh.z0) / vh.relv)
		default:
			vh.life = 600
		}
		vh.life = min(vh.life, vehicleLookback*vehicleSlot)
		dst = append(dst, vh)
	}
	return dst
}

// pick maps p in [0, 1) onto the first type whose threshold exceeds it.
func pick(p float64, t0 uint8, p0 float64, t1 uint8, p1 float64, t2 uint8, p2 float64, t3 uint8, p3 float64, t4 uint8) uint8 {
	switch {
	case p < p0:
		return t0
	case p < p1:
		return t1
	case p < p2:
		return t2
	case p < p3:
		return t3
	}
	return t4
}

// addVehicles adds the traffic in view at this frame.
func (d *Drive) addVehicles(s *scratch, v *view) {
	cur := floorDiv(int64(v.frame), vehicleSlot)
	var buf [4]vehicle
	for k := cur - vehicleLookback; k <= cur; k++ {
		for _, vh := range d.genVehicles(k, buf[:0]) {
			age := v.frame - vh.ts
			if age < 0 || age >= vh.life {
				continue
			}
			z := vh.z0 + vh.relv*float64(age)
			dims := vehicleDims[vh.typ]
			col := vh.col
			switch vh.typ {
			case vTruck:
				col = colTruck
			case vBus:
				col = colBus
			case vTrain:
				col = colTrain
			case vMoto:
				col = colMotorcycle
			case vBike:
				col = colBicycle
			}
			sp := sprite{z: z, zn: z, kind: spVehicle, sub: vh.typ, x: vh.x, w: dims[0], h: dims[1], y: dims[2], col: col, flag: vh.riderSkin, t: float64(v.frame)}
			if z < nearClip && z+dims[2] > nearClip { // its side is still beside us
				sp.z = nearClip
			}
			s.add(sp)
			if vh.typ == vMoto || vh.typ == vBike {
				s.add(sprite{z: sp.z - 0.01, kind: spPerson, sub: 1 + vh.typ - vMoto, x: vh.x, h: 1.7, col: vh.riderCol, flag: vh.riderSkin})
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

// drawVehicle paints a vehicle's visible side and its near face (rear, or front if oncoming).
func (d *Drive) drawVehicle(c *canvas, v *view, sp *sprite) {
	z, x, w, h, L := sp.zn, sp.x, sp.w, sp.h, sp.y
	cls := [...]uint8{vCar: Car, vTruck: Truck, vBus: Bus, vTrain: Train, vMoto: Motorcycle, vBike: Bicycle}[sp.sub]
	body := material{cls: cls, pat: patPlain, c0: sp.col, amp: 5, grain: 5, k: 50}
	dark := material{cls: cls, pat: patPlain, c0: sp.col.scale(0.5), amp: 5, grain: 5, k: 50}
	switch sp.sub {
	case vBus:
		dark.c0 = colBusWindow
	case vTrain:
		dark.c0 = colTrainWindow
	}
	band := material{cls: cls, pat: patPlain, c0: colTrainBand, amp: 5, grain: 5, k: 50}
	zw := v.camZ + z
	// The side facing the camera, when the camera is beside the vehicle's width.
	if sp.sub != vMoto && sp.sub != vBike {
		sx := x - w/2
		if x+w/2 < v.camX {
			sx = x + w/2
		}
		if (x-w/2 > v.camX) || (x+w/2 < v.camX) {
			switch sp.sub {
			case vCar:
				c.plane(v, sx, zw, zw+L, 0.18, 0.92, 0, &body)
				c.plane(v, sx, zw+0.9, zw+L-0.7, 0.92, h, 0, &dark)
				c.plane(v, sx, zw, zw+L, 0, 0.18, 0, &dark)
			case vTruck:
				c.plane(v, sx, zw, zw+L, 0.55, h, 0, &body)
				c.plane(v, sx, zw, zw+L, 0, 0.55, 0, &dark)
			default: // bus, train: body with a window band
				c.plane(v, sx, zw, zw+L, 0.3, h, 0, &body)
				c.plane(v, sx, zw, zw+L, 1.3, 2.3, 0, &dark)
				c.plane(v, sx, zw, zw+L, 0, 0.3, 0, &dark)
				if sp.sub == vTrain {
					c.plane(v, sx, zw, zw+L, 0.9, 1.15, 0, &band)
				}
			}
		}
	}
	if z < nearClip {
		return
	}
	switch sp.sub {
	case vCar:
		c.quad(v, z, x-w/2, x+w/2, 0, 0.2, &dark)
		c.quad(v, z, x-w/2, x+w/2, 0.2, 0.9, &body)
		c.quad(v, z, x-w/2+0.16, x+w/2-0.16, 0.9, h, &body)
		c.quad(v, z, x-w/2+0.26, x+w/2-0.26, 0.95, h-0.08, &dark)
		lamp := material{cls: Car, pat: patPlain, c0: colLampRed, amp: 5, grain: 5, k: 50}
		c.quad(v, z, x-w/2+0.05, x-w/2+0.3, 0.66, 0.8, &lamp)
		c.quad(v, z, x+w/2-0.3, x+w/2-0.05, 0.66, 0.8, &lamp)
	case vTruck:
		c.quad(v, z, x-w/2+0.15, x+w/2-0.15, 0, 0.55, &dark)
		c.quad(v, z, x-w/2, x+w/2, 0.55, h, &body)
	case vBus, vTrain:
		c.quad(v, z, x-w/2, x+w/2, 0, 0.3, &dark)
		c.quad(v, z, x-w/2, x+w/2, 0.3, h, &body)
		c.quad(v, z, x-w/2+0.2, x+w/2-0.2, 1.4, h-0.4, &dark)
		if sp.sub == vTrain {
			c.quad(v, z, x-w/2, x+w/2, 0.9, 1.15, &band)
		}
	case vMoto:
		c.quad(v, z, x-0.1, x+0.1, 0, 0.6, &dark)
		c.quad(v, z, x-w/2, x+w/2, 0.45, 0.85, &body)
	case vBike:
		c.quad(v, z, x-0.04, x+0.04, 0, 0.7, &body)
		c.quad(v, z, x-0.27, x+0.27, 0.92, 0.97, &body)
	}
}
