package render

import (
	"fmt"
	"image"
	"image/color"
	"slices"

	"gocv.io/x/gocv"
)

func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}

// Options tune the drawing.
type Options struct {
	HeatAlpha float64 // weight of the heat map added over the frame; default 0.6
	HeatFloor float32 // entropy below this is not coloured; default 0.25
}

// Renderer draws scenes. It keeps its Mats between frames; not safe for concurrent use; Close it.
type Renderer struct {
	opts  Options
	ent8  []byte // entropy as 8-bit, map size
	color gocv.Mat
	big   gocv.Mat
	out   gocv.Mat
	idx   []int  // scratch for label selection
	mark  []bool // scratch for label selection
}

// New returns a renderer; its Mats are freed by Close.
func New(opts Options) *Renderer {
	if opts.HeatAlpha <= 0 {
		opts.HeatAlpha = 0.6
	}
	if opts.HeatFloor <= 0 {
		opts.HeatFloor = 0.25
	}
	return &Renderer{opts: opts, color: gocv.NewMat(), big: gocv.NewMat(), out: gocv.NewMat()}
}

// Close frees the renderer's Mats.
func (r *Renderer) Close() error {
	r.color.Close()
	r.big.Close()
	r.out.Close()
	return nil
}

var (
	colKept      = color.RGBA{255, 230, 0, 0}   // yellow; gocv reads RGBA as RGB and converts to BGR
	colEmergency = color.RGBA{255, 40, 40, 0}   // red
	colRejected  = color.RGBA{150, 150, 150, 0} // grey, thin
	colCorridor  = color.RGBA{0, 200, 255, 0}
	colText      = color.RGBA{255, 255, 255, 0}
	colBanner    = color.RGBA{200, 0, 0, 0}
)

// Render draws s and returns the annotated BGR frame in dst (grown if needed).
func (r *Renderer) Render(s *Scene, dst []byte) ([]byte, error) {
	if err := s.check(); err != nil {
		return dst, err
	}
	src, err := gocv.NewMatFromBytes(s.H, s.W, gocv.MatTypeCV8UC3, s.Pix)
	if err != nil {
		return dst, errorf(ErrScene, "%v", err)
	}
	defer src.Close()
	if s.Entropy != nil && s.Err == "" {
		if err := r.heat(s); err != nil {
			return dst, err
		}
		gocv.AddWeighted(src, 1, r.big, r.opts.HeatAlpha, 0, &r.out) // additive: cold pixels keep their colour
	} else {
		src.CopyTo(&r.out)
	}
	r.draw(s)
	n := 3 * s.W * s.H
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	dst = dst[:n]
	data, err := r.out.DataPtrUint8()
	if err != nil || len(data) < n {
		return dst, errorf(ErrScene, "rendered frame not readable: %v", err)
	}
	copy(dst, data[:n])
	return dst, nil
}

// heat turns the entropy map into a colour map resized to the frame, in r.big.
func (r *Renderer) heat(s *Scene) error {
	n := s.MapW * s.MapH
	if cap(r.ent8) < n {
		r.ent8 = make([]byte, n)
	}
	r.ent8 = r.ent8[:n]
	floor, span := r.opts.HeatFloor, 1-r.opts.HeatFloor
	for i, v := range s.Entropy {
		v = (v - floor) / span
		switch {
		case !(v > 0): // also NaN
			r.ent8[i] = 0
		case v >= 1:
			r.ent8[i] = 255
		default:
			r.ent8[i] = uint8(v * 255)
		}
	}
	m, err := gocv.NewMatFromBytes(s.MapH, s.MapW, gocv.MatTypeCV8UC1, r.ent8)
	if err != nil {
		return errorf(ErrScene, "%v", err)
	}
	defer m.Close()
	gocv.ApplyColorMap(m, &r.color, gocv.ColormapHot)
	gocv.Resize(r.color, &r.big, image.Pt(s.W, s.H), 0, 0, gocv.InterpolationLinear)
	return nil
}

func (r *Renderer) draw(s *Scene) {
	scale := max(0.4, float64(s.H)/720)
	thick := max(1, int(scale*2+0.5))
	if len(s.Corridor) >= 3 {
		pv := gocv.NewPointsVectorFromPoints([][]image.Point{s.Corridor})
		gocv.Polylines(&r.out, pv, true, colCorridor, 1)
		pv.Close()
	}
	for _, b := range s.Boxes { // rejected first, so kept boxes are drawn on top
		if !b.Kept {
			gocv.Rectangle(&r.out, b.Rect, colRejected, 1)
		}
	}
	labelled := r.largestKept(s.Boxes, maxLabels)
	for i, b := range s.Boxes {
		if !b.Kept {
			continue
		}
		c := colKept
		if s.Emergency && b.InCorridor {
			c = colEmergency
		}
		gocv.Rectangle(&r.out, b.Rect, c, thick)
		if !labelled[i] {
			continue
		}
		label := fmt.Sprintf("#%d p_fp=%.2f", b.ID, b.PFP)
		y := b.Rect.Min.Y - 4
		if y < 12 {
			y = b.Rect.Max.Y + int(14*scale)
		}
		gocv.PutText(&r.out, label, image.Pt(b.Rect.Min.X, y), gocv.FontHersheySimplex, max(0.4, 0.55*scale), c, max(1, thick-1))
	}
	if s.Emergency {
		bh := int(36 * scale)
		gocv.Rectangle(&r.out, image.Rect(0, 0, s.W, bh), colBanner, -1)
		gocv.PutText(&r.out, "EMERGENCY: obstacle in the drive corridor", image.Pt(int(10*scale), bh-int(10*scale)),
			gocv.FontHersheySimplex, 0.8*scale, colText, thick)
	}
	hud := fmt.Sprintf("%s  %.1f fps  %.0f ms", s.Label, s.FPS, float64(s.Latency.Microseconds())/1000)
	if s.Err != "" {
		hud += "  ERROR: " + s.Err
	}
	gocv.PutText(&r.out, hud, image.Pt(int(8*scale), s.H-int(10*scale)), gocv.FontHersheySimplex, 0.5*scale, colText, max(1, thick-1))
}

// maxLabels is how many kept boxes get a text label; the rest are outlined only (dozens of tiny
// far-away components would bury the picture under text).
const maxLabels = 8

// largestKept marks the n largest kept boxes (by area; in-corridor ones first).
func (r *Renderer) largestKept(boxes []Box, n int) []bool {
	r.idx = r.idx[:0]
	for i, b := range boxes {
		if b.Kept {
			r.idx = append(r.idx, i)
		}
	}
	key := func(b Box) int {
		a := b.Rect.Dx() * b.Rect.Dy()
		if b.InCorridor {
			a += 1 << 40
		}
		return a
	}
	slices.SortFunc(r.idx, func(a, b int) int { return key(boxes[b]) - key(boxes[a]) })
	if cap(r.mark) < len(boxes) {
		r.mark = make([]bool, len(boxes))
	}
	r.mark = r.mark[:len(boxes)]
	clear(r.mark)
	for _, i := range r.idx[:min(n, len(r.idx))] {
		r.mark[i] = true
	}
	return r.mark
}
