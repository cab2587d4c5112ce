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
	// cover, when set, is an occlusion buffer for ground-standing things drawn near to
	// far: per column, the highest row already painted. Everything below it is hidden.
	cover []int32
}

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
		if c.cover != nil {
			r1 = min(r1, int(c.cover[px]))
		}
		if r1 <= r0 {
			continue
		}
		ipx := z / v.f
		vv := ytop - (float64(r0)+0.5-t)*ipx
		c.fillRun(r0*c.w+px, r1-r0, c.w, m, z+v.camZ, 0, vv, -ipx)
		if c.cover != nil {
			c.cover[px] = int32(r0)
		}
	}
}

// face paints the world rectangle [x0,x1]×[0,y1] at depth z column by column, honouring
// and updating the cover buffer (front faces of buildings, drawn near to far).
func (c *canvas) face(v *view, z, x0, x1, y1 float64, m *material) {
	if z < nearClip || z > farClip {
		return
	}
	a, b := v.sx(x0, z), v.sx(x1, z)
	top, bot := v.sy(y1, z), v.sy(0, z)
	lo, hi := span(a, b, c.w)
	r0, r1 := span(top, bot, c.h)
	if r1 <= r0 {
		return
	}
	ipx := z / v.f
	vv := y1 - (float64(r0)+0.5-top)*ipx
	for px := lo; px < hi; px++ {
		e := r1
		if c.cover != nil {
			e = min(e, int(c.cover[px]))
		}
		if e <= r0 {
			continue
		}
		u := x0 + (float64(px)+0.5-a)*ipx
		c.fillRun(r0*c.w+px, e-r0, c.w, m, u, 0, vv, -ipx)
		if c.cover != nil {
			c.cover[px] = int32(r0)
		}
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
