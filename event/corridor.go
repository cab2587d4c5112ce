package event

import (
	"fmt"
	"strconv"
	"strings"
)

// Point is a corridor vertex in normalized frame coordinates: x, y in [0, 1], origin top-left.
type Point struct{ X, Y float64 }

// Corridor is the drive corridor: a simple polygon in normalized coordinates.
type Corridor []Point

// DefaultCorridor is a trapezoid in the lower middle of the frame: the road just ahead of the car.
func DefaultCorridor() Corridor {
	return Corridor{{0.42, 0.58}, {0.58, 0.58}, {0.85, 1}, {0.15, 1}}
}

// ParseCorridor reads "x,y;x,y;x,y[;…]" (normalized, at least 3 points), e.g. "0.42,0.58;0.58,0.58;0.85,1;0.15,1".
func ParseCorridor(s string) (Corridor, error) {
	var c Corridor
	for i, part := range strings.Split(strings.TrimSpace(s), ";") {
		xy := strings.Split(strings.TrimSpace(part), ",")
		if len(xy) != 2 {
			return nil, fmt.Errorf("%w: point %d %q is not \"x,y\" (want e.g. \"0.42,0.58;0.58,0.58;0.85,1;0.15,1\")", ErrCorridor, i+1, part)
		}
		x, err1 := strconv.ParseFloat(strings.TrimSpace(xy[0]), 64)
		y, err2 := strconv.ParseFloat(strings.TrimSpace(xy[1]), 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%w: point %d %q is not two numbers", ErrCorridor, i+1, part)
		}
		c = append(c, Point{x, y})
	}
	return c, c.Validate()
}

// String formats c the way ParseCorridor reads it.
func (c Corridor) String() string {
	parts := make([]string, len(c))
	for i, p := range c {
		parts[i] = strconv.FormatFloat(p.X, 'g', -1, 64) + "," + strconv.FormatFloat(p.Y, 'g', -1, 64)
	}
	return strings.Join(parts, ";")
}

// Validate reports a polygon with fewer than 3 points or a coordinate outside [0, 1] (NaN included).
func (c Corridor) Validate() error {
	if len(c) < 3 {
		return fmt.Errorf("%w: %d points, need at least 3", ErrCorridor, len(c))
	}
	for i, p := range c {
		if !(p.X >= 0 && p.X <= 1 && p.Y >= 0 && p.Y <= 1) {
			return fmt.Errorf("%w: point %d (%g,%g) is outside [0,1]; coordinates are fractions of the frame", ErrCorridor, i+1, p.X, p.Y)
		}
	}
	return nil
}

// Contains reports whether the normalized point (x, y) lies inside the polygon (even-odd rule).
func (c Corridor) Contains(x, y float64) bool {
	in := false
	for i, j := 0, len(c)-1; i < len(c); j, i = i, i+1 {
		a, b := c[i], c[j]
		if (a.Y > y) != (b.Y > y) && x < (b.X-a.X)*(y-a.Y)/(b.Y-a.Y)+a.X {
			in = !in
		}
	}
	return in
}

// ContainsAnomaly reports whether an anomaly in a w×h frame touches the corridor: its centroid or the
// bottom centre of its box (where an object meets the road) is inside.
func (c Corridor) ContainsAnomaly(a Anomaly, w, h int) bool {
	if w <= 0 || h <= 0 {
		return false
	}
	fw, fh := float64(w), float64(h)
	if c.Contains(a.Centroid[0]/fw, a.Centroid[1]/fh) {
		return true
	}
	bx := float64(a.BBox[0]) + float64(a.BBox[2])/2
	by := float64(a.BBox[1]+a.BBox[3]) - 0.5
	return c.Contains(bx/fw, by/fh)
}
