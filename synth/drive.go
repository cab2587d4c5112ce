// Package synth generates deterministic synthetic dashcam drives: road scenes built from
// the 19 Cityscapes train classes, with moving anomalies on the road, and their
// per-pixel ground truth (train ids 0..18, 254 anomaly, 255 ignore). Any frame can be
// rendered on its own (random access), and the same Config and frame index always give
// the same bytes. Proxy builds proxy-anomaly training images from the same scenes.
//
// It is pure Go (no cgo) and renders a 1024×512 frame in a few milliseconds without
// allocating, so it also serves as a live capture source and a test-fixture generator.
package synth

import (
	"fmt"
	"math"
	"sync"
)

// Scene geometry, in metres.
const (
	camHeight   = 1.4  // camera above the road
	roadHalf    = 6.5  // road from -6.5 to 6.5 (three lanes and parking strips)
	walkOuter   = 10.0 // sidewalks from ±6.5 to ±10
	blockLen    = 20.0 // roadside is laid out in blocks of this length
	maxBlocks   = int(farClip/blockLen) + 3
	laneX       = 1.75 // dashed lane lines at ±laneX
	edgeLineX   = 5.0  // solid edge lines at ±edgeLineX
	markWidth   = 0.15
	dashPeriod  = 9.0
	dashLength  = 3.0
	focalPerW   = 0.8  // focal length as a share of the width (≈ 64° horizontal field of view)
	horizonPerH = 0.45 // horizon row as a share of the height
)

// Drive renders one synthetic drive. It is safe for concurrent use: Frame keeps its
// per-call state in scratch space taken from a free list.
type Drive struct {
	cfg     Config
	hoodTop []int32 // first hood row of each column (H where there is no hood)
	skyRow  []rgb   // sky gradient by row
	phase   [6]float64
	mu      sync.Mutex
	free    []*scratch // idle scratch spaces: one per concurrent Frame call, kept for reuse
}

// scratch is the per-call working memory of Frame, reused through Drive.free.
type scratch struct {
	b0      int64 // index of the first cached block
	nb      int
	blocks  [2][maxBlocks]block // [left, right]
	cover   []int32             // occlusion buffer of drawRoadside, one entry per column
	sprites []sprite
	anoms   []anomaly
	xs      []float64
	pts     [][2]float64
}

// NewDrive returns the drive described by cfg. It panics on an invalid Config: call
// cfg.Validate first where the Config comes from a user.
func NewDrive(cfg Config) *Drive {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	cfg = cfg.resolved()
	d := &Drive{cfg: cfg}
	r := newRNG(cfg.Seed, tagLight, 0)
	for i := range d.phase {
		d.phase[i] = r.rangef(0, 2*math.Pi)
	}
	d.hoodTop = make([]int32, cfg.W)
	hood := cfg.Hood * float64(cfg.H)
	for x := range d.hoodTop {
		t := (float64(x) + 0.5 - float64(cfg.W)/2) / (float64(cfg.W) / 2)
		rows := hood * (1 - 0.45*t*t) // the hood curves down towards the sides
		d.hoodTop[x] = int32(float64(cfg.H) - math.Round(rows))
	}
	yh := horizonPerH * float64(cfg.H)
	d.skyRow = make([]rgb, int(math.Ceil(yh))+1)
	for y := range d.skyRow {
		d.skyRow[y] = lerpRGB(colSkyTop, colSkyHorizon, math.Pow(math.Min(1, (float64(y)+0.5)/yh), 1.6))
	}
	return d
}

// get takes an idle scratch space or makes one (a free list rather than a sync.Pool:
// it never drops buffers, so steady state never allocates).
func (d *Drive) get() *scratch {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n := len(d.free); n > 0 {
		s := d.free[n-1]
		d.free = d.free[:n-1]
		return s
	}
	return &scratch{
		cover:   make([]int32, d.cfg.W),
		sprites: make([]sprite, 0, 512),
		anoms:   make([]anomaly, 0, 8),
		xs:      make([]float64, 0, 64),
		pts:     make([][2]float64, 0, 64),
	}
}

func (d *Drive) put(s *scratch) {
	d.mu.Lock()
	d.free = append(d.free, s)
	d.mu.Unlock()
}

// Config returns the drive's configuration with defaults filled in.
func (d *Drive) Config() Config { return d.cfg }

// Frame renders frame i (any order) into bgr (BGR24, len 3·W·H) and gt (len W·H, or nil
// to skip the ground truth): train ids 0..18, 254 for anomaly pixels, 255 for the hood.
// It panics if a buffer has the wrong length. It does not allocate in steady state.
func (d *Drive) Frame(i int, bgr []byte, gt []uint8) {
	w, h := d.cfg.W, d.cfg.H
	if len(bgr) != 3*w*h {
		panic(fmt.Sprintf("synth: Frame: bgr has %d bytes, want 3*%d*%d = %d", len(bgr), w, h, 3*w*h))
	}
	if gt != nil && len(gt) != w*h {
		panic(fmt.Sprintf("synth: Frame: gt has %d bytes, want %d*%d = %d", len(gt), w, h, w*h))
	}
	s := d.get()
	defer d.put(s)
	v := d.view(i)
	c := canvas{w: w, h: h, bgr: bgr, gt: gt, grain: (i * 7919) & 0xFFFF, shade: 256}
	d.scene(s, &v, &c, d.cfg.Anomalies)
	d.drawHood(&c)
	d.light(&c, i)
}

// scene draws everything but the hood and the lighting.
func (d *Drive) scene(s *scratch, v *view, c *canvas, anomalies bool) {
	d.cacheBlocks(s, v)
	d.drawSky(c, v)
	d.drawFarBand(c, v)
	d.drawGround(c, v, s)
	d.drawRoadside(c, v, s)
	s.sprites = s.sprites[:0]
	s.anoms = s.anoms[:0]
	d.addStreetSprites(s, v)
	d.addVehicles(s, v)
	if anomalies {
		d.addAnomalies(s, v)
	}
	sortSprites(s.sprites)
	for k := range s.sprites {
		d.drawSprite(c, v, s, &s.sprites[k])
	}
}

// view places the camera for frame i: driving forward at Speed, swaying gently in the lane.
func (d *Drive) view(i int) view {
	t := float64(i)
	w, h := float64(d.cfg.W), float64(d.cfg.H)
	return view{
		w: d.cfg.W, h: d.cfg.H,
		cx: w / 2, yh: horizonPerH * h, f: focalPerW * w, hc: camHeight,
		camZ:  t * d.cfg.Speed,
		camX:  0.3*math.Sin(2*math.Pi*t/420+d.phase[0]) + 0.12*math.Sin(2*math.Pi*t/173+d.phase[1]),
		frame: i,
	}
}

// light applies the frame's global brightness, contrast and tint through a lookup table.
func (d *Drive) light(c *canvas, i int) {
	a := d.cfg.Lighting
	if a == 0 {
		return
	}
	t := float64(i)
	gain := 1 + a*(0.12*math.Sin(2*math.Pi*t/900+d.phase[2])+0.05*math.Sin(2*math.Pi*t/131+d.phase[3]))
	contrast := 1 + a*0.1*math.Sin(2*math.Pi*t/610+d.phase[4])
	tint := a * 0.035 * math.Sin(2*math.Pi*t/1300+d.phase[5]) // warm ↔ cool
	var lut [3][256]uint8                                     // B, G, R
	for ch, k := range [3]float64{1 - tint, 1, 1 + tint} {
		for x := range 256 {
			lut[ch][x] = clamp8(((float64(x)-128)*contrast + 128) * gain * k)
		}
	}
	bgr := c.bgr
	for p := 0; p+2 < len(bgr); p += 3 {
		bgr[p], bgr[p+1], bgr[p+2] = lut[0][bgr[p]], lut[1][bgr[p+1]], lut[2][bgr[p+2]]
	}
}

// drawHood paints the ego vehicle's bonnet over the bottom rows, labelled ignore.
func (d *Drive) drawHood(c *canvas) {
	m := material{cls: Ignore, pat: patPlain, c0: colHood, amp: 6, grain: 4, k: 0.5}
	hi := material{cls: Ignore, pat: patPlain, c0: rgb{70, 78, 92}, amp: 4, grain: 4, k: 0.5}
	for x, top := range d.hoodTop {
		n := c.h - int(top)
		if n <= 0 {
			continue
		}
		hl := min(2, n) // a thin highlight along the bonnet's edge
		c.fillRun(int(top)*c.w+x, hl, c.w, &hi, float64(x), 0, 0, 1)
		c.fillRun((int(top)+hl)*c.w+x, n-hl, c.w, &m, float64(x), 0, 0, 1)
	}
}

// drawSky paints the sky gradient with slowly drifting clouds above the horizon.
func (d *Drive) drawSky(c *canvas, v *view) {
	rows := min(int(math.Ceil(v.yh-0.5)), c.h)
	r := newRNG(d.cfg.Seed, tagSky, 0)
	cover := r.rangef(120, 200) // cloud threshold: higher = fewer clouds
	ks := 40 / float64(c.w)     // smooth-noise cells per pixel
	drift := float64(v.frame) * 0.25
	bgr, gt := c.bgr, c.gt
	// Cloud opacity by noise value, in 1/256: integer blending in the loop.
	var alpha [256]int32
	for n := range alpha {
		alpha[n] = int32(256 * 0.85 * math.Max(0, math.Min(1, (float64(n)-cover)/40)))
	}
	uf0, duf := int64((drift*ks+offset)*65536), int64(ks*65536)
	cr, cg, cb := int32(colCloud.r), int32(colCloud.g), int32(colCloud.b)
	for y := 0; y < rows; y++ {
		base := d.skyRow[min(y, len(d.skyRow)-1)]
		br, bg, bb := int32(base.r), int32(base.g), int32(base.b)
		yi := (int(float64(y)*ks*2.2+37) & 255) << 8
		uf := uf0
		row := bgr[3*y*c.w : 3*(y+1)*c.w]
		gp := y*c.w + c.grain
		for q := 0; q+2 < len(row); q += 3 {
			a := alpha[smoothNoise[yi|int(uf>>16)&255]]
			t := int32(fineNoise[gp&0xFFFF]) >> 5
			row[q] = clampI(bb + (cb-bb)*a>>8 + t)
			row[q+1] = clampI(bg + (cg-bg)*a>>8 + t)
			row[q+2] = clampI(br + (cr-br)*a>>8 + t)
			uf += duf
			gp++
		}
		if gt != nil {
			g := gt[y*c.w : (y+1)*c.w]
			for x := range g {
				g[x] = Sky
			}
		}
	}
}

// drawFarBand paints distant buildings and trees standing on the horizon.
func (d *Drive) drawFarBand(c *canvas, v *view) {
	gw := max(4, c.w/48) // group width in pixels
	seed := uint64(d.cfg.Seed) * 0x9E3779B97F4A7C15
	mb := material{cls: Building, pat: patPlain, c0: lerpRGB(colBuilding, colSkyHorizon, 0.2), amp: 10, grain: 3, k: 1}
	mv := material{cls: Vegetation, pat: patLeaves, c0: lerpRGB(colVeg, colSkyHorizon, 0.15), c1: lerpRGB(colVegDark, colSkyHorizon, 0.15), amp: 40, grain: 3, k: 0.6}
	yb := int(math.Ceil(v.yh - 0.5)) // first ground row
	shift := int(math.Round(v.camX * float64(c.w) / 60))
	for x := 0; x < c.w; x++ {
		g := (x + shift + 1<<20) / gw
		hsh := mix(seed ^ uint64(g)*0xD1B54A32D192ED03)
		var hgt float64
		m := &mb
		if hsh&3 == 0 {
			m = &mv
			hgt = float64(c.h) * (0.012 + 0.02*float64(smoothNoise[(x+shift)&0xFFFF])/255)
		} else {
			hgt = float64(c.h) * (0.01 + 0.045*float64(hsh>>40&1023)/1023)
		}
		top := max(0, yb-int(hgt))
		if top < yb {
			c.fillRun(top*c.w+x, yb-top, c.w, m, float64(x), 0, float64(top), 1)
		}
	}
}
