package synth

import "math"

// pattern selects the texture a material paints. World materials take (u, v) in metres;
// anomaly materials take object units (about [-1, 1]).
type pattern uint8

const (
	patPlain    pattern = iota // c0 + white noise cells of size 1/k
	patSidewalk                // tiles with seams (c1)
	patBuilding                // brick with rows of windows (c1) and mortar lines (c2)
	patWall                    // stone blocks with seams (c1)
	patFence                   // vertical slats (c0) and gaps (c1)
	patLeaves                  // smooth blobs around c0, darker c1 holes
	patLane                    // road paint: c0 with fine noise
	// anomaly patterns
	patCheck   // checkerboard c0/c1
	patStripes // stripes c0/c1 along direction (ca, sa)
	patDots    // c1 dots on c0
	patConfett // every cell a random saturated hue
	patRainbow // hue gradient along (ca, sa)
	patRings   // concentric rings c0/c1
)

// material is what fillRun paints: a class label and a colour texture.
type material struct {
	cls    uint8
	pat    pattern
	c0, c1 rgb
	c2     rgb
	amp    int32   // texture noise amplitude (×1/128 of the table's ±128)
	grain  int32   // screen-space sensor grain amplitude
	k      float64 // pattern frequency: cells per unit of u, v
	ca, sa float64 // pattern direction for stripes and rainbows
}

// canvas is one frame being drawn.
type canvas struct {
	w, h  int
	bgr   []byte
	gt    []uint8 // may be nil
	grain int     // per-frame offset into the grain table: sensor noise changes every frame
	shade int32   // brightness multiplier in 1/256 (shadows)
}

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

// span converts the real interval [a, b) (pixel edges) into the pixel indices whose
// centres lie in it, clipped to [0, n).
func span(a, b float64, n int) (int, int) {
	lo, hi := int(math.Ceil(a-0.5)), int(math.Ceil(b-0.5))
	if a-0.5 < -1e9 {
		lo = 0
	}
	if b-0.5 > 1e9 {
		hi = n
	}
	if lo < 0 {
		lo = 0
	}
	if hi > n {
		hi = n
	}
	return lo, hi
}

// view is the camera of one frame: pinhole at height hc, looking along +z, horizon row yh.
type view struct {
	w, h          int
	cx, yh, f, hc float64
	camZ, camX    float64 // camera position along and across the road (m)
	frame         int
}

// sx is the screen column (pixel edge units) of lateral position x at depth z.
func (v *view) sx(x, z float64) float64 { return v.cx + v.f*(x-v.camX)/z }

// sy is the screen row of height y at depth z.
func (v *view) sy(y, z float64) float64 { return v.yh + v.f*(v.hc-y)/z }

// quad paints the world rectangle [x0,x1]×[y0,y1] standing at depth z, facing the camera.
// Texture coordinates are world metres (u = x, v = height), so textures scale with distance.
func (c *canvas) quad(v *view, z, x0, x1, y0, y1 float64, m *material) {
	c.quadUV(v, z, x0, x1, y0, y1, m, 0)
}

// quadUV is quad with u shifted by du0 (e.g. the world z of a facade's front face).
func (c *canvas) quadUV(v *view, z, x0, x1, y0, y1 float64, m *material, du0 float64) {
	if z < nearClip {
		return
	}
	a, b := v.sx(x0, z), v.sx(x1, z)
	top, bot := v.sy(y1, z), v.sy(y0, z)
	lo, hi := span(a, b, c.w)
	if hi <= lo {
		// Keep thin things (poles, far people) at least one pixel wide, as a camera would blur them in.
		mid := (a + b) / 2
		if hi == lo && mid >= 0 && mid < float64(c.w) && b-a > 0.25 {
			lo, hi = int(mid), int(mid)+1
		} else {
			return
		}
	}
	r0, r1 := span(top, bot, c.h)
	if r1 <= r0 {
		if bot-top > 0.25 && (top+bot)/2 >= 0 && (top+bot)/2 < float64(c.h) {
			r0, r1 = int((top+bot)/2), int((top+bot)/2)+1
		} else {
			return
		}
	}
	ipx := z / v.f // metres per pixel at this depth
	u0 := x0 + (float64(lo)+0.5-a)*ipx + du0
	for y := r0; y < r1; y++ {
		vv := y1 - (float64(y)+0.5-top)*ipx
		c.fillRun(y*c.w+lo, hi-lo, 1, m, u0, ipx, vv, 0)
	}
}

// ellipse paints the world ellipse centred at (x, y) with radii (rx, ry) at depth z.
func (c *canvas) ellipse(v *view, z, x, y, rx, ry float64, m *material) {
	if z < nearClip {
		return
	}
	scx, scy := v.sx(x, z), v.sy(y, z)
	s := v.f / z
	prx, pry := rx*s, ry*s
	r0, r1 := span(scy-pry, scy+pry, c.h)
	ipx := z / v.f
	for yy := r0; yy < r1; yy++ {
		dy := (float64(yy) + 0.5 - scy) / pry
		hw := prx * math.Sqrt(math.Max(0, 1-dy*dy))
		lo, hi := span(scx-hw, scx+hw, c.w)
		if hi > lo {
			u0 := x + (float64(lo)+0.5-scx)*ipx
			c.fillRun(yy*c.w+lo, hi-lo, 1, m, u0, ipx, y-(float64(yy)+0.5-scy)*ipx, 0)
		}
	}
}

// ring paints an annulus (a wheel seen from the side): outer radius ro, inner ri.
func (c *canvas) ring(v *view, z, x, y, ro, ri float64, m *material) {
	if z < nearClip {
		return
	}
	scx, scy := v.sx(x, z), v.sy(y, z)
	s := v.f / z
	pro, pri := ro*s, ri*s
	r0, r1 := span(scy-pro, scy+pro, c.h)
	ipx := z / v.f
	for yy := r0; yy < r1; yy++ {
		dy := float64(yy) + 0.5 - scy
		ho := math.Sqrt(math.Max(0, pro*pro-dy*dy))
		hi2 := math.Sqrt(math.Max(0, pri*pri-dy*dy))
		vv := y - dy*ipx
		for _, seg := range [2][2]float64{{scx - ho, scx - hi2}, {scx + hi2, scx + ho}} {
			lo, hi := span(seg[0], seg[1], c.w)
			if hi > lo {
				c.fillRun(yy*c.w+lo, hi-lo, 1, m, x+(float64(lo)+0.5-scx)*ipx, ipx, vv, 0)
			}
		}
	}
}

// plane paints a vertical wall parallel to the road at lateral position x, from world
// z za to zb, between heights y0 and y1 (+ up to vary, smoothly along z: hedge tops).
// It is drawn column by column: u = world z along the road, v = height, in metres.
func (c *canvas) plane(v *view, x, za, zb, y0, y1, vary float64, m *material) {
	za, zb = za-v.camZ, zb-v.camZ // depths
	if za < nearClip {
		za = nearClip
	}
	if zb > farClip {
		zb = farClip
	}
	if zb <= za {
		return
	}
	dx := x - v.camX
	if math.Abs(dx) < 1e-6 {
		return
	}
	a, b := v.cx+v.f*dx/za, v.cx+v.f*dx/zb
	if a > b {
		a, b = b, a
	}
	lo, hi := span(a, b, c.w)
	for px := lo; px < hi; px++ {
		den := float64(px) + 0.5 - v.cx
		if den == 0 || (den > 0) != (dx > 0) {
			continue
		}
		z := v.f * dx / den
		ytop := y1
		if vary != 0 {
			ytop += vary * float64(smoothAt((z+v.camZ)*1.5+offset, 11)) / 255
		}
		t, bo := v.sy(ytop, z), v.sy(y0, z)
		r0, r1 := span(t, bo, c.h)
		if r1 <= r0 {
			continue
		}
		ipx := z / v.f
		vv := ytop - (float64(r0)+0.5-t)*ipx
		c.fillRun(r0*c.w+px, r1-r0, c.w, m, z+v.camZ, 0, vv, -ipx)
	}
}

const (
	nearClip = 0.8   // m: nothing nearer is drawn
	farClip  = 260.0 // m: nothing farther is drawn (the far band stands in for it)
)

// polygon paints a filled polygon given in screen coordinates (even-odd rule). Texture
// coordinates are object units: the screen offset from the centre divided by scale,
// y flipped up, and rotated back by ang, so a texture turns with its object.
func (c *canvas) polygon(pts [][2]float64, cxs, cys, scale, ang float64, m *material, xs []float64) int {
	if len(pts) < 3 {
		return 0
	}
	ymin, ymax := pts[0][1], pts[0][1]
	for _, p := range pts[1:] {
		ymin, ymax = math.Min(ymin, p[1]), math.Max(ymax, p[1])
	}
	r0, r1 := span(ymin, ymax, c.h)
	ca, sa := math.Cos(ang), math.Sin(ang)
	painted := 0
	for y := r0; y < r1; y++ {
		yc := float64(y) + 0.5
		xs = xs[:0]
		j := len(pts) - 1
		for i := range pts {
			yi, yj := pts[i][1], pts[j][1]
			if (yi <= yc) != (yj <= yc) {
				xs = append(xs, pts[i][0]+(yc-yi)/(yj-yi)*(pts[j][0]-pts[i][0]))
			}
			j = i
		}
		for a := 1; a < len(xs); a++ { // insertion sort: a handful of crossings
			for b := a; b > 0 && xs[b] < xs[b-1]; b-- {
				xs[b], xs[b-1] = xs[b-1], xs[b]
			}
		}
		for k := 0; k+1 < len(xs); k += 2 {
			lo, hi := span(xs[k], xs[k+1], c.w)
			if hi <= lo {
				continue
			}
			dx, dy := (float64(lo)+0.5-cxs)/scale, (yc-cys)/scale
			u, vv := ca*dx-sa*dy, -sa*dx-ca*dy
			c.fillRun(y*c.w+lo, hi-lo, 1, m, u, ca/scale, vv, -sa/scale)
			painted += hi - lo
		}
	}
	return painted
}
