package postproc

import (
	"math"
	"testing"

	"github.com/metaood/metaood/frame"
)

// above is a region: everything above fraction y of the height (a hood below it).
type above float64

func (a above) Contains(_, fy float64) bool { return fy < float64(a) }

// TestRegionMask: pixels whose centres lie outside the region of interest are ignored, and the
// mask is built once per map size.
func TestRegionMask(t *testing.T) {
	r := &regionMasks{region: above(0.94)}
	m := r.mask(8, 100)
	for y := range 100 {
		want := float64(y)+0.5 > 94 // rows below 94 % of the height: the hood
		if m[y*8] != want || m[y*8+7] != want {
			t.Fatalf("row %d: ignored=%v, want %v", y, m[y*8], want)
		}
	}
	if &r.mask(8, 100)[0] != &m[0] {
		t.Error("mask rebuilt for the same size")
	}
	if len(r.mask(4, 2)) != 8 {
		t.Error("mask for another size has the wrong length")
	}
}

// TestMapAnalyzer: components outside the region are gone; NaN data is an error.
func TestMapAnalyzer(t *testing.T) {
	const c, h, w = 3, 10, 10
	uniform := make([]float32, c*h*w) // equal logits everywhere: entropy 1, one component
	whole, err := NewMapAnalyzer(DefaultOptions(), true, nil).Analyze(&frame.Map{C: c, H: h, W: w, Data: uniform})
	if err != nil || len(whole.Components) != 1 || whole.Components[0].Area != h*w {
		t.Fatalf("whole map: %v, %+v", err, whole)
	}
	whole.Release()
	top, err := NewMapAnalyzer(DefaultOptions(), true, above(0.5)).Analyze(&frame.Map{C: c, H: h, W: w, Data: uniform})
	if err != nil || len(top.Components) != 1 || top.Components[0].Area != h*w/2 {
		t.Fatalf("top half: %v, %+v", err, top)
	}
	top.Release()
	bad := append([]float32(nil), uniform...)
	bad[5] = float32(math.NaN())
	if _, err := NewMapAnalyzer(DefaultOptions(), true, nil).Analyze(&frame.Map{C: c, H: h, W: w, Data: bad}); err == nil {
		t.Error("NaN logits accepted")
	}
}
