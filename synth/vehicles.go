package synth

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
