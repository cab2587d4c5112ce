package synth

import "math"

// block is one side of the road over blockLen metres: what stands there.
type block struct {
	kind      uint8   // blockOpen, blockBuilding, blockTrees
	x         float64 // lateral distance of the facade / hedge from the road centre
	height    float64 // building height or hedge base height
	vary      float64 // hedge top variation
	gap       float64 // alley before the building (m)
	col, win  rgb
	front     uint8 // frontNone, frontWall, frontFence
	frontH    float64
	shadow    float64 // |x| from which the side's shadow covers the ground (large = none)
	poles     [2]pole
	trees     [2]tree
	bikes     [1]parked
	crosswalk bool
}

type pole struct {
	on       bool
	z, h     float64
	sign     uint8 // 0 none, 1 round, 2 triangle, 3 square
	signH    float64
	light    bool
	lightRed bool
}

type tree struct {
	on            bool
	z, x, h, r, q float64
}

type parked struct {
	on   bool
	moto bool
	z, x float64
}

const (
	blockOpen uint8 = iota
	blockBuilding
	blockTrees
)

const (
	frontNone uint8 = iota
	frontWall
	frontFence
)

// genBlock lays out block b on one side (0 = left, 1 = right) from the seed alone.
func genBlock(seed, b int64, side int) block {
	r := newRNG(seed, tagBlock, b*2+int64(side))
	var k block
	k.shadow = 1e9
	switch p := r.f(); {
	case p < 0.58:
		k.kind = blockBuilding
		k.x = r.rangef(11, 15)
		k.height = r.logf(7, 26)
		if r.chance(0.35) {
			k.gap = r.rangef(1.5, 6)
		}
		j := r.rangef(0.85, 1.12)
		k.col = rgb{clamp8(float64(colBuilding.r) * j * r.rangef(0.95, 1.05)), clamp8(float64(colBuilding.g) * j), clamp8(float64(colBuilding.b) * j * r.rangef(0.92, 1.08))}
		k.win = colWindow.scale(r.rangef(0.85, 1.1))
		reach := k.height*0.45 - (k.x - roadHalf) // how far the shadow reaches over the road
		k.shadow = math.Max(1.2, roadHalf-reach)
	case p < 0.84:
		k.kind = blockTrees
		k.x = r.rangef(11, 14)
		k.height = r.rangef(2.5, 7)
		k.vary = r.rangef(1, 4)
		k.col = colVeg.scale(r.rangef(0.85, 1.12))
		k.win = colVegDark.scale(r.rangef(0.85, 1.1))
		k.shadow = math.Max(3, roadHalf-(k.height*0.3-(k.x-roadHalf)))
	default:
		k.kind = blockOpen
	}
	switch p := r.f(); {
	case p < 0.2:
		k.front, k.frontH = frontWall, r.rangef(0.8, 2.2)
	case p < 0.4:
		k.front, k.frontH = frontFence, r.rangef(1.0, 1.8)
	}
	for j := range k.poles {
		if r.chance(0.6) {
			pl := &k.poles[j]
			pl.on = true
			pl.z = r.rangef(0, blockLen)
			pl.h = r.rangef(4.5, 8)
			if r.chance(0.5) {
				pl.sign = uint8(1 + r.intn(3))
				pl.signH = r.rangef(2.1, 2.9)
			}
			if r.chance(0.3) {
				pl.light = true
				pl.lightRed = r.chance(0.5)
			}
		}
	}
	for j := range k.trees {
		if r.chance(0.45) {
			k.trees[j] = tree{on: true, z: r.rangef(0, blockLen), x: r.rangef(8.3, 9.6), h: r.rangef(2.2, 3.5), r: r.rangef(1.3, 2.6), q: r.rangef(0.8, 1.2)}
		}
	}
	if r.chance(0.2) {
		k.bikes[0] = parked{on: true, moto: r.chance(0.4), z: r.rangef(0, blockLen), x: r.rangef(7.2, 9.3)}
	}
	k.crosswalk = side == 0 && r.chance(0.12)
	return k
}

// cacheBlocks lays out the blocks the camera can see this frame.
func (d *Drive) cacheBlocks(s *scratch, v *view) {
	s.b0 = int64(math.Floor(v.camZ/blockLen)) - 1
	s.nb = maxBlocks
	for j := 0; j < s.nb; j++ {
		for side := range 2 {
			s.blocks[side][j] = genBlock(d.cfg.Seed, s.b0+int64(j), side)
		}
	}
}

// blockAt returns the cached block at world z on one side, or nil outside the cache.
func (s *scratch) blockAt(z float64, side int) *block {
	j := int64(math.Floor(z/blockLen)) - s.b0
	if j < 0 || j >= int64(s.nb) {
		return nil
	}
	return &s.blocks[side][j]
}

var (
	matRoad     = material{cls: Road, pat: patPlain, c0: colRoad, amp: 16, grain: 7, k: 36}
	matLane     = material{cls: Road, pat: patLane, c0: colLaneMark, amp: 10, grain: 6, k: 36}
	matSidewalk = material{cls: Sidewalk, pat: patSidewalk, c0: colSidewalk, c1: colSeam, amp: 12, grain: 6, k: 2}
	matCurb     = material{cls: Sidewalk, pat: patPlain, c0: colCurb, amp: 8, grain: 5, k: 20}
	matTerrain  = material{cls: Terrain, pat: patLeaves, c0: colTerrain, c1: colTerrain.scale(0.8), amp: 40, grain: 8, k: 3}
)

// drawGround paints road, sidewalks and terrain below the horizon, with lane marks,
// crosswalks and the soft shadows of tall roadside things.
func (d *Drive) drawGround(c *canvas, v *view, s *scratch) {
	y0 := max(0, int(math.Ceil(v.yh-0.5)))
	for y := y0; y < c.h; y++ {
		dy := float64(y) + 0.5 - v.yh
		if dy <= 0 {
			continue
		}
		z := v.f * v.hc / dy
		zw := v.camZ + z
		ipx := z / v.f
		edge := func(x float64) float64 { return v.cx + (x-v.camX)/ipx }
		// Shadow boundaries on this row: left side shades x < -sl, right side x > sr.
		sl, sr := 1e9, 1e9
		if b := s.blockAt(zw, 0); b != nil {
			sl = b.shadow
		}
		if b := s.blockAt(zw, 1); b != nil {
			sr = b.shadow
		}
		var rs rowShade
		rs.set(edge(-sl-0.4), edge(-sl+0.4), edge(sr-0.4), edge(sr+0.4))
		u0 := func(px int) float64 { return v.camX + (float64(px)+0.5-v.cx)*ipx }
		row := y * c.w
		run := func(a, b float64, m *material) {
			lo, hi := span(a, b, c.w)
			rs.fill(c, row, lo, hi, m, u0(lo), ipx, zw)
		}
		run(-1e10, edge(-walkOuter), &matTerrain)
		run(edge(-walkOuter), edge(-roadHalf-0.25), &matSidewalk)
		run(edge(-roadHalf-0.25), edge(-roadHalf), &matCurb)
		run(edge(-roadHalf), edge(roadHalf), &matRoad)
		run(edge(roadHalf), edge(roadHalf+0.25), &matCurb)
		run(edge(roadHalf+0.25), edge(walkOuter), &matSidewalk)
		run(edge(walkOuter), 1e10, &matTerrain)
		// Lane marks: dashed lane lines, solid edge lines; they scroll as the car moves.
		if frac(zw/dashPeriod) < dashLength/dashPeriod {
			run(edge(-laneX-markWidth/2), edge(-laneX+markWidth/2), &matLane)
			run(edge(laneX-markWidth/2), edge(laneX+markWidth/2), &matLane)
		}
		run(edge(-edgeLineX-markWidth/2), edge(-edgeLineX+markWidth/2), &matLane)
		run(edge(edgeLineX-markWidth/2), edge(edgeLineX+markWidth/2), &matLane)
		if b := s.blockAt(zw, 0); b != nil && b.crosswalk {
			if off := zw - math.Floor(zw/blockLen)*blockLen; off > 8 && off < 12 {
				for x := -roadHalf + 0.3; x+0.5 < roadHalf; x += 1.0 {
					run(edge(x), edge(x+0.5), &matLane)
				}
			}
		}
	}
}

// rowShade holds one ground row's shading: shadow on the left up to a, ramp to b,
// light until c, ramp to d, shadow after (pixel columns).
type rowShade struct{ a, b, c, d float64 }

func (r *rowShade) set(a, b, c, d float64) { r.a, r.b, r.c, r.d = a, b, c, d }

const shadowShade = 190 // ×1/256

// shadeAt is the shade (1/256) at column x.
func (r *rowShade) shadeAt(x float64) int32 {
	switch {
	case x < r.a || x >= r.d:
		return shadowShade
	case x < r.b:
		return shadowShade + int32(float64(256-shadowShade)*(x-r.a)/(r.b-r.a))
	case x >= r.c:
		return 256 - int32(float64(256-shadowShade)*(x-r.c)/(r.d-r.c))
	}
	return 256
}

// fill paints [lo, hi) of a ground row, splitting it where the shade changes; inside the
// soft shadow edges it steps the shade every 4 pixels.
func (r *rowShade) fill(c *canvas, row, lo, hi int, m *material, u, du, zw float64) {
	for x := lo; x < hi; {
		fx := float64(x) + 0.5
		next := hi
		for _, e := range [4]float64{r.a, r.b, r.c, r.d} {
			if e > fx {
				next = min(next, int(math.Ceil(e-0.5)))
				break
			}
		}
		if (fx >= r.a && fx < r.b) || (fx >= r.c && fx < r.d) {
			next = min(next, x+4)
		}
		if next <= x {
			next = x + 1
		}
		c.shade = r.shadeAt(fx)
		c.fillRun(row+x, next-x, 1, m, u+float64(x-lo)*du, du, zw, 0)
		x = next
	}
	c.shade = 256
}

// drawRoadside paints facades, hedges, walls and fences near to far with an occlusion
// buffer, so that hidden parts of far buildings cost nothing: first the low walls and
// fences along the sidewalk (always nearer than any facade in the same column), then per
// block the front face (nearer) and the side facade.
func (d *Drive) drawRoadside(c *canvas, v *view, s *scratch) {
	for x := range s.cover {
		s.cover[x] = int32(c.h)
	}
	c.cover = s.cover
	defer func() { c.cover = nil }()
	for j := 0; j < s.nb; j++ {
		z0 := float64(s.b0+int64(j)) * blockLen
		for side := range 2 {
			b := &s.blocks[side][j]
			sg := float64(2*side - 1)
			switch b.front {
			case frontWall:
				m := material{cls: Wall, pat: patWall, c0: colWall, c1: colWallSeam, amp: 10, grain: 5, k: 12}
				c.plane(v, sg*walkOuter, z0, z0+blockLen, 0, b.frontH, 0, &m)
			case frontFence:
				m := material{cls: Fence, pat: patFence, c0: colFence, c1: colFenceGap, amp: 12, grain: 5, k: 5}
				c.plane(v, sg*walkOuter, z0, z0+blockLen, 0, b.frontH, 0, &m)
			}
		}
	}
	for j := 0; j < s.nb; j++ {
		z0 := float64(s.b0+int64(j)) * blockLen
		for side := range 2 {
			b := &s.blocks[side][j]
			sg := float64(2*side - 1)
			switch b.kind {
			case blockBuilding:
				m := material{cls: Building, pat: patBuilding, c0: b.col, c1: b.win, c2: b.col.scale(0.84), amp: 14, grain: 5, k: 5}
				x0, x1 := sg*b.x, sg*(b.x+14)
				if x0 > x1 {
					x0, x1 = x1, x0
				}
				c.face(v, z0+b.gap-v.camZ, x0, x1, b.height, &m)
				c.plane(v, sg*b.x, z0+b.gap, z0+blockLen, 0, b.height, 0, &m)
			case blockTrees:
				m := material{cls: Vegetation, pat: patLeaves, c0: b.col, c1: b.win, amp: 48, grain: 8, k: 1.6}
				c.plane(v, sg*b.x, z0, z0+blockLen, 0, b.height, b.vary, &m)
			}
		}
	}
}
