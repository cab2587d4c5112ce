package synth

import "math"

// offset keeps lattice indices positive so int() floors instead of truncating.
const offset = 1 << 20

// fillRun paints n pixels starting at pixel index p, stepping by step (1 = along a row,
// w = down a column). Material coordinates start at (u, v) and advance by (du, dv).
func (c *canvas) fillRun(p, n, step int, m *material, u, du, v, dv float64) {
	if n <= 0 {
		return
	}
	switch {
	case (m.pat == patPlain || m.pat == patLane) && dv == 0 && step == 1:
		c.plainRow(p, n, m, u, du, v)
		return
	case m.pat == patBuilding && du == 0:
		c.buildingColumn(p, n, step, m, u, v, dv)
		return
	case m.pat == patBuilding && dv == 0 && step == 1:
		c.buildingRow(p, n, m, u, du, v)
		return
	case m.pat == patSidewalk && dv == 0 && step == 1:
		c.sidewalkRow(p, n, m, u, du, v)
		return
	case m.pat == patLeaves:
		c.leaves(p, n, step, m, u, du, v, dv)
		return
	}
	c.generic(p, n, step, m, u, du, v, dv)
}

// plainRow is fillRun for plain noise along a row (roads, car bodies): integer lattice
// stepping instead of float conversions per pixel.
func (c *canvas) plainRow(p, n int, m *material, u, du, v float64) {
	yi := (int(v*m.k+offset) & 255) << 8
	uf, duf := int64((u*m.k+offset)*65536), int64(du*m.k*65536)
	bgr := c.bgr[3*p : 3*(p+n)]
	r0, g0, b0 := int32(m.c0.r), int32(m.c0.g), int32(m.c0.b)
	amp, grain, sh := m.amp, m.grain, c.shade
	gp := p + c.grain
	for q := 0; q+2 < len(bgr); q += 3 {
		t := int32(fineNoise[yi|int(uf>>16)&255])*amp>>7 + int32(fineNoise[gp&0xFFFF])*grain>>7
		r, g, b := r0+t, g0+t, b0+t
		if sh != 256 {
			r, g, b = r*sh>>8, g*sh>>8, b*sh>>8
		}
		bgr[q], bgr[q+1], bgr[q+2] = clampI(b), clampI(g), clampI(r)
		uf += duf
		gp++
	}
	if c.gt != nil {
		gt := c.gt[p : p+n]
		for k := range gt {
			gt[k] = m.cls
		}
	}
}

// buildingColumn is fillRun for a facade column: whether the column crosses windows
// is fixed, only the height changes.
func (c *canvas) buildingColumn(p, n, step int, m *material, u, v, dv float64) {
	fu := frac(u / 2.6)
	winCol := fu > 0.22 && fu < 0.72
	ui := int(u*m.k+offset) & 255
	wi := int(u*6+offset) & 255
	bgr, gt := c.bgr, c.gt
	sh := c.shade
	for ; n > 0; n-- {
		var r, g, b int32
		fv := frac(v / 3.2)
		switch {
		case winCol && fv > 0.3 && fv < 0.72:
			t := int32(fineNoise[(int(v*6+offset)&255)<<8|wi]) * 6 >> 7
			r, g, b = int32(m.c1.r)+t, int32(m.c1.g)+t, int32(m.c1.b)+t
		case frac(v*3.3) < 0.14:
			r, g, b = int32(m.c2.r), int32(m.c2.g), int32(m.c2.b)
		default:
			t := int32(fineNoise[(int(v*m.k*1.7+offset)&255)<<8|ui]) * m.amp >> 7
			r, g, b = int32(m.c0.r)+t, int32(m.c0.g)+t, int32(m.c0.b)+t
		}
		t := int32(fineNoise[(p+c.grain)&0xFFFF]) * m.grain >> 7
		r, g, b = r+t, g+t, b+t
		if sh != 256 {
			r, g, b = r*sh>>8, g*sh>>8, b*sh>>8
		}
		q := 3 * p
		bgr[q], bgr[q+1], bgr[q+2] = clampI(b), clampI(g), clampI(r)
		if gt != nil {
			gt[p] = m.cls
		}
		p += step
		v += dv
	}
}

// put writes one shaded, grained pixel.
func (c *canvas) put(p int, r, g, b int32, m *material) {
	t := int32(fineNoise[(p+c.grain)&0xFFFF]) * m.grain >> 7
	r, g, b = r+t, g+t, b+t
	if sh := c.shade; sh != 256 {
		r, g, b = r*sh>>8, g*sh>>8, b*sh>>8
	}
	q := 3 * p
	c.bgr[q], c.bgr[q+1], c.bgr[q+2] = clampI(b), clampI(g), clampI(r)
}

func (c *canvas) label(p, n, step int, cls uint8) {
	if c.gt == nil {
		return
	}
	for ; n > 0; n-- {
		c.gt[p] = cls
		p += step
	}
}

// buildingRow is fillRun for a facade seen face-on: the row's height is fixed.
func (c *canvas) buildingRow(p, n int, m *material, u, du, v float64) {
	fv := frac(v / 3.2)
	winRow := fv > 0.3 && fv < 0.72
	mortar := frac(v*3.3) < 0.14
	vi := (int(v*m.k*1.7+offset) & 255) << 8
	wi := (int(v*6+offset) & 255) << 8
	c.label(p, n, 1, m.cls)
	for ; n > 0; n-- {
		var r, g, b int32
		fu := frac(u / 2.6)
		switch {
		case winRow && fu > 0.22 && fu < 0.72:
			t := int32(fineNoise[wi|int(u*6+offset)&255]) * 6 >> 7
			r, g, b = int32(m.c1.r)+t, int32(m.c1.g)+t, int32(m.c1.b)+t
		case mortar:
			r, g, b = int32(m.c2.r), int32(m.c2.g), int32(m.c2.b)
		default:
			t := int32(fineNoise[vi|int(u*m.k+offset)&255]) * m.amp >> 7
			r, g, b = int32(m.c0.r)+t, int32(m.c0.g)+t, int32(m.c0.b)+t
		}
		c.put(p, r, g, b, m)
		p++
		u += du
	}
}

// sidewalkRow is fillRun for paving along a ground row.
func (c *canvas) sidewalkRow(p, n int, m *material, u, du, v float64) {
	seamRow := frac(v*m.k) < 0.07
	vi := (int(v*m.k*8+offset) & 255) << 8
	c.label(p, n, 1, m.cls)
	for ; n > 0; n-- {
		var r, g, b int32
		if seamRow || frac(u*m.k) < 0.07 {
			r, g, b = int32(m.c1.r), int32(m.c1.g), int32(m.c1.b)
		} else {
			t := int32(fineNoise[vi|int(u*m.k*8+offset)&255]) * m.amp >> 7
			r, g, b = int32(m.c0.r)+t, int32(m.c0.g)+t, int32(m.c0.b)+t
		}
		c.put(p, r, g, b, m)
		p++
		u += du
	}
}

// leaves is fillRun for foliage and grass: smooth blobs plus fine detail.
func (c *canvas) leaves(p, n, step int, m *material, u, du, v, dv float64) {
	c.label(p, n, step, m.cls)
	k, k5 := m.k, m.k*5
	for ; n > 0; n-- {
		var r, g, b int32
		s := int32(smoothNoise[(int(v*k+offset)&255)<<8|int(u*k+offset)&255]) - 128
		t := s*m.amp>>7 + int32(fineNoise[(int(v*k5+offset)&255)<<8|int(u*k5+offset)&255])*m.amp>>8
		if s < -40 {
			r, g, b = int32(m.c1.r)+t/2, int32(m.c1.g)+t/2, int32(m.c1.b)+t/2
		} else {
			r, g, b = int32(m.c0.r)+t/2, int32(m.c0.g)+t, int32(m.c0.b)+t/3
		}
		c.put(p, r, g, b, m)
		p += step
		u += du
		v += dv
	}
}

// generic is fillRun for any pattern.
func (c *canvas) generic(p, n, step int, m *material, u, du, v, dv float64) {
	bgr, gt := c.bgr, c.gt
	sh := c.shade
	for ; n > 0; n-- {
		var r, g, b int32
		switch m.pat {
		case patPlain, patLane:
			t := fine(int(u*m.k+offset), int(v*m.k+offset)) * m.amp >> 7
			r, g, b = int32(m.c0.r)+t, int32(m.c0.g)+t, int32(m.c0.b)+t
		case patSidewalk:
			fu, fv := frac(u*m.k), frac(v*m.k)
			if fu < 0.07 || fv < 0.07 {
				r, g, b = int32(m.c1.r), int32(m.c1.g), int32(m.c1.b)
			} else {
				t := fine(int(u*m.k*8+offset), int(v*m.k*8+offset)) * m.amp >> 7
				r, g, b = int32(m.c0.r)+t, int32(m.c0.g)+t, int32(m.c0.b)+t
			}
		case patBuilding:
			fv, fu := frac(v/3.2), frac(u/2.6)
			switch {
			case fv > 0.3 && fv < 0.72 && fu > 0.22 && fu < 0.72:
				t := fine(int(u*6+offset), int(v*6+offset)) * 6 >> 7
				r, g, b = int32(m.c1.r)+t, int32(m.c1.g)+t, int32(m.c1.b)+t
			case frac(v*3.3) < 0.14:
				r, g, b = int32(m.c2.r), int32(m.c2.g), int32(m.c2.b)
			default:
				t := fine(int(u*m.k+offset), int(v*m.k*1.7+offset)) * m.amp >> 7
				r, g, b = int32(m.c0.r)+t, int32(m.c0.g)+t, int32(m.c0.b)+t
			}
		case patWall:
			row := math.Floor(v * 2.5)
			if frac(v*2.5) < 0.1 || frac(u*0.8+0.5*row) < 0.05 {
				r, g, b = int32(m.c1.r), int32(m.c1.g), int32(m.c1.b)
			} else {
				t := fine(int(u*m.k+offset), int(v*m.k+offset)) * m.amp >> 7
				r, g, b = int32(m.c0.r)+t, int32(m.c0.g)+t, int32(m.c0.b)+t
			}
		case patFence:
			if frac(u*m.k) < 0.62 && frac(v*2.2) > 0.06 {
				t := fine(int(u*40+offset), int(v*40+offset)) * m.amp >> 7
				r, g, b = int32(m.c0.r)+t, int32(m.c0.g)+t, int32(m.c0.b)+t
			} else {
				r, g, b = int32(m.c1.r), int32(m.c1.g), int32(m.c1.b)
			}
		case patLeaves:
			s := smoothAt(u*m.k+offset, v*m.k+offset) - 128
			t := s*m.amp>>7 + fine(int(u*m.k*5+offset), int(v*m.k*5+offset))*m.amp>>8
			if s < -40 {
				r, g, b = int32(m.c1.r)+t/2, int32(m.c1.g)+t/2, int32(m.c1.b)+t/2
			} else {
				r, g, b = int32(m.c0.r)+t/2, int32(m.c0.g)+t, int32(m.c0.b)+t/3
			}
		case patCheck:
			if (int(u*m.k+offset)+int(v*m.k+offset))&1 == 0 {
				r, g, b = int32(m.c0.r), int32(m.c0.g), int32(m.c0.b)
			} else {
				r, g, b = int32(m.c1.r), int32(m.c1.g), int32(m.c1.b)
			}
		case patStripes:
			if int((u*m.ca+v*m.sa)*m.k+offset)&1 == 0 {
				r, g, b = int32(m.c0.r), int32(m.c0.g), int32(m.c0.b)
			} else {
				r, g, b = int32(m.c1.r), int32(m.c1.g), int32(m.c1.b)
			}
		case patDots:
			fu, fv := frac(u*m.k)-0.5, frac(v*m.k)-0.5
			if fu*fu+fv*fv < 0.09 {
				r, g, b = int32(m.c1.r), int32(m.c1.g), int32(m.c1.b)
			} else {
				r, g, b = int32(m.c0.r), int32(m.c0.g), int32(m.c0.b)
			}
		case patConfett:
			h := hueLUT[uint8(fine(int(u*m.k+offset), int(v*m.k+offset)))]
			r, g, b = int32(h.r), int32(h.g), int32(h.b)
		case patRainbow:
			h := hueLUT[uint8(int((u*m.ca+v*m.sa)*m.k*256+offset))]
			r, g, b = int32(h.r), int32(h.g), int32(h.b)
		case patRings:
			if int(math.Sqrt(u*u+v*v)*m.k)&1 == 0 {
				r, g, b = int32(m.c0.r), int32(m.c0.g), int32(m.c0.b)
			} else {
				r, g, b = int32(m.c1.r), int32(m.c1.g), int32(m.c1.b)
			}
		}
		if m.grain != 0 {
			t := int32(fineNoise[(p+c.grain)&0xFFFF]) * m.grain >> 7
			r, g, b = r+t, g+t, b+t
		}
		if sh != 256 {
			r, g, b = r*sh>>8, g*sh>>8, b*sh>>8
		}
		q := 3 * p
		bgr[q], bgr[q+1], bgr[q+2] = clampI(b), clampI(g), clampI(r)
		if gt != nil {
			gt[p] = m.cls
		}
		p += step
		u += du
		v += dv
	}
}

func frac(x float64) float64 { return x - math.Floor(x) }
