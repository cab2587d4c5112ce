package oodeval

import (
	"math"
	"strconv"
)

// Float is a float64 that is written to JSON as null when it is NaN or infinite (undefined: e.g.
// AUROC of a frame without anomaly pixels), and read back from null as NaN.
type Float float64

// MarshalJSON writes the shortest exact decimal, or null.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON reads a number, or null as NaN.
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = Float(math.NaN())
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	*f = Float(v)
	return err
}

// ratio is a/b, NaN when b is 0.
func ratio(a, b int) Float {
	if b == 0 {
		return Float(math.NaN())
	}
	return Float(float64(a) / float64(b))
}
