package postproc

import (
	"math"
	"math/rand/v2"
	"testing"
)

// artMap builds a C-class probability map and GT from one character per pixel:
//
//	.  confident (class varies by region), GT 0     g  confident, GT 254 (missed anomaly)
//	o  high entropy, GT 0                          X  high entropy, GT 254
//	u  exactly uniform, GT 0                       #  confident, GT 255 (ignore)
//	%  high entropy, GT 255 (removed)              m  moderately uncertain (below 0.7), GT 0
func artMap(c int, art []string) (probs []float32, gt []uint8, h, w int) {
	h, w = len(art), len(art[0])
	hw := h * w
	probs = make([]float32, c*hw)
	gt = make([]uint8, hw)
	for y, line := range art {
		for x, ch := range line {
			i := y*w + x
			cls := (x/6 + 2*(y/5)) % c
			p := make([]float64, c)
			switch ch {
			case '.', 'g', '#':
				for k := range p {
					p[k] = 0.05 / float64(c-1)
				}
				p[cls] = 0.95
			case 'm':
				for k := range p {
					p[k] = 0.3 / float64(c-1)
				}
				p[cls] = 0.7
			case 'o', 'X', '%':
				var s float64
				for k := range p {
					p[k] = 1 + 0.4*math.Sin(float64(k*3+x+2*y))
					s += p[k]
				}
				for k := range p {
					p[k] /= s
				}
			case 'u':
				for k := range p {
					p[k] = 1 / float64(c)
				}
			default:
				panic("artMap: unknown character " + string(ch))
			}
			for k := range p {
				probs[k*hw+i] = float32(p[k])
			}
			switch ch {
			case 'g', 'X':
				gt[i] = 254
			case '#', '%':
				gt[i] = 255
			}
		}
	}
	return probs, gt, h, w
}

// agree checks a Result against the naive implementation: component map, count, every metric,
// labels and GT components.
func agree(t *testing.T, r *Result, nv *naive, withGT bool) {
	t.Helper()
	for i := range nv.labels {
		if r.Labels[i] != nv.labels[i] {
			t.Fatalf("component map at row %d col %d: %d, want %d", i/r.W, i%r.W, r.Labels[i], nv.labels[i])
		}
	}
	if len(r.Components) != len(nv.rows) {
		t.Fatalf("%d components, want %d", len(r.Components), len(nv.rows))
	}
	names := MetricNames(r.C)
	for k, want := range nv.rows {
		row := r.Row(k)
		for j, name := range names {
			if g := row[j]; math.IsNaN(g) || math.IsInf(g, 0) || !closeEnough(g, want[name]) {
				t.Errorf("component %d %s = %.9g, want %.9g", k+1, name, g, want[name])
			}
		}
		comp := r.Components[k]
		if comp.Area != int(want["S"]) || comp.Interior != int(want["S_in"]) || comp.Boundary != int(want["S_bd"]) {
			t.Errorf("component %d sizes %+v, want S=%v S_in=%v", k+1, comp, want["S"], want["S_in"])
		}
		if !closeEnough(comp.Centroid[0], want["mean_y"]) || !closeEnough(comp.Centroid[1], want["mean_x"]) {
			t.Errorf("component %d centroid %v, want (%v, %v)", k+1, comp.Centroid, want["mean_y"], want["mean_x"])
		}
		if withGT && (!closeEnough(r.IoU[k], want["iou"]) || float64(r.IoU0[k]) != want["iou0"]) {
			t.Errorf("component %d iou %v/%d, want %v/%v", k+1, r.IoU[k], r.IoU0[k], want["iou"], want["iou0"])
		}
	}
	if !withGT {
		return
	}
	if len(r.GTComponents) != len(nv.gt) {
		t.Fatalf("%d GT components, want %d", len(r.GTComponents), len(nv.gt))
	}
	for k, want := range nv.gt {
		g := r.GTComponents[k]
		if g.Area != want.Area || g.Overlap != want.Overlap || g.IoU0 != want.IoU0 || !closeEnough(g.IoU, want.IoU) {
			t.Errorf("GT component %d = %+v, want %+v", k+1, g, want)
		}
	}
}

// handmade cases: each with facts checked by hand, and everything checked against the naive code.
var handmade = []struct {
	name  string
	art   []string
	check func(t *testing.T, r *Result)
}{
	{"single pixels and corners", []string{
		"o........o",
		"..........",
		"....o.....",
		"..........",
		"o........o",
	}, func(t *testing.T, r *Result) {
		wantCount(t, r, 5)
		for k, c := range r.Components {
			if c.Area != 1 || c.Boundary != 1 || c.Interior != 0 {
				t.Errorf("component %d: %+v, want a single boundary pixel", k+1, c)
			}
		}
		// Row-major order of first pixels: (0,0), (0,9), (2,4), (4,0), (4,9).
		if r.Labels[0] != -1 || r.Labels[9] != -2 || r.Labels[2*10+4] != -3 || r.Labels[4*10+9] != -5 {
			t.Errorf("numbering not row-major: %v", r.Labels)
		}
		// A corner pixel has 3 in-image neighbours: ndist sums to 1 over 3 counts, and S_in = 0 gives 0s.
		col := columns(r.C)
		if r.Row(0)[col["S_rel_in"]] != 0 || r.Row(0)[col["E_in"]] != 0 || r.Row(0)[col["S_rel"]] != 1 {
			t.Errorf("single pixel: S_rel_in %v E_in %v S_rel %v", r.Row(0)[col["S_rel_in"]], r.Row(0)[col["E_in"]], r.Row(0)[col["S_rel"]])
		}
	}},
	{"diagonal chain is one component", []string{
		"o.......",
		".o......",
		"..o.....",
		"...o....",
		"....o..o",
		"......o.",
	}, func(t *testing.T, r *Result) {
		wantCount(t, r, 2)
		if c := r.Components[0]; c.Area != 5 || c.Interior != 0 {
			t.Errorf("chain: %+v", c)
		}
		if c := r.Components[1]; c.Area != 2 { // (4,7) and (5,6) touch diagonally
			t.Errorf("corner pair: %+v", c)
		}
	}},
	{"border pixels are not boundary by themselves", []string{
		"oooooo....",
		"oooooo....",
		"oooooo....",
		"oooooo....",
		"oooooo....",
		"..........",
		"........oo",
		"........oo",
	}, func(t *testing.T, r *Result) {
		wantCount(t, r, 2)
		// 6×5 block in the corner: boundary = bottom row (6) + right column (5) − shared corner = 10.
		if c := r.Components[0]; c.Area != 30 || c.Boundary != 10 || c.Interior != 20 {
			t.Errorf("corner block: %+v", c)
		}
		// 2×2 block in the bottom-right corner: (7,9) has only predicted in-image neighbours.
		if c := r.Components[1]; c.Area != 4 || c.Interior != 1 {
			t.Errorf("bottom-right block: %+v (the corner pixel (7,9) has only predicted neighbours)", c)
		}
	}},
	{"ignore band splits a block and feeds ndist", []string{
		"..........",
		".ooo%%ooo.",
		".ooo%%ooo.",
		".ooo%%ooo.",
		"..........",
		"....##....",
		"...#%%#...",
		"....##o...",
	}, func(t *testing.T, r *Result) {
		wantCount(t, r, 3) // two halves of the block, and the single pixel at (7,6); no component inside the ignore box
		if r.Components[2].Area != 1 {
			t.Errorf("single pixel: %+v", r.Components[2])
		}
	}},
	{"empty mask", []string{
		"..mm......",
		"..mm..g...",
		"......gg..",
	}, func(t *testing.T, r *Result) {
		wantCount(t, r, 0)
		if len(r.Metrics) != 0 || len(r.IoU) != 0 {
			t.Errorf("metrics %d, iou %d for no components", len(r.Metrics), len(r.IoU))
		}
		if len(r.GTComponents) != 1 || r.GTComponents[0].IoU0 != 1 || r.GTComponents[0].Area != 3 {
			t.Errorf("GT components: %+v, want one missed 3-pixel object", r.GTComponents)
		}
	}},
	{"component filling most of the image", []string{
		"oooooooooo",
		"oooooooooo",
		"oooo.ooooo",
		"oooooooooo",
		"oooooooooo",
	}, func(t *testing.T, r *Result) {
		wantCount(t, r, 1)
		if c := r.Components[0]; c.Area != 49 || c.Boundary != 8 || c.Interior != 41 {
			t.Errorf("%+v", c)
		}
		col := columns(r.C)
		if got := r.Row(0)[col["S_rel"]]; got != 49.0/8 {
			t.Errorf("S_rel %v", got)
		}
	}},
	{"component filling the whole image (S_bd = 0)", []string{
		"oooo",
		"oooo",
		"oooo",
	}, func(t *testing.T, r *Result) {
		wantCount(t, r, 1)
		col := columns(r.C)
		row := r.Row(0)
		if row[col["S_bd"]] != 0 || row[col["S_rel"]] != 0 || row[col["E_bd"]] != 0 || row[col["S_in"]] != 12 {
			t.Errorf("S_bd %v S_rel %v E_bd %v S_in %v", row[col["S_bd"]], row[col["S_rel"]], row[col["E_bd"]], row[col["S_in"]])
		}
		if row[col["ndist0"]] != 0 {
			t.Errorf("no neighbours, yet ndist0 = %v", row[col["ndist0"]])
		}
	}},
	{"adjusted IoU (SPEC appendix A: 9/41)", []string{
		"............",
		".ooooo......",
		".ooooo......",
		".ooXXXgg....",
		".ooXXXgg....",
		".ooXXXgg....",
		"...ggggg....",
		"...ggggg....",
		"............",
	}, func(t *testing.T, r *Result) {
		wantCount(t, r, 1)
		// A 5×5 predicted block over a 5×5 GT object, overlapping on 3×3: I = 9,
		// U = 25 + the 16 unpredicted GT pixels reachable from the block = 41.
		if c := r.Components[0]; c.Area != 25 || c.Interior != 9 || c.Boundary != 16 {
			t.Errorf("5×5 block: %+v", c)
		}
		if math.Abs(r.IoU[0]-9.0/41) > 1e-12 || r.IoU0[0] != 0 {
			t.Errorf("iou %v/%d, want 9/41", r.IoU[0], r.IoU0[0])
		}
		if g := r.GTComponents; len(g) != 1 || g[0].Area != 25 || g[0].Overlap != 9 || math.Abs(g[0].IoU-9.0/41) > 1e-12 {
			t.Errorf("GT components %+v", g)
		}
	}},
	{"touching GT diagonally or through other components", []string{
		"..........",
		".oo.......",
		".oo.......",
		"...g......",
		"..........",
		".XXggXX...",
		".XXggXX...",
		"..........",
	}, func(t *testing.T, r *Result) {
		wantCount(t, r, 3)
		if r.IoU0[0] != 1 { // diagonal contact with an unpredicted GT pixel is no overlap
			t.Errorf("diagonal toucher: iou0 %d", r.IoU0[0])
		}
		// Two components joined by an unpredicted GT bridge: each union is its 4 + the 4 bridge pixels.
		if math.Abs(r.IoU[1]-4.0/8) > 1e-12 || math.Abs(r.IoU[2]-4.0/8) > 1e-12 {
			t.Errorf("bridged: %v %v, want 0.5 each", r.IoU[1], r.IoU[2])
		}
	}},
}

func wantCount(t *testing.T, r *Result, n int) {
	t.Helper()
	if len(r.Components) != n {
		t.Fatalf("%d components, want %d", len(r.Components), n)
	}
}

// columns maps metric names to column indices.
func columns(c int) map[string]int {
	m := map[string]int{}
	for i, n := range MetricNames(c) {
		m[n] = i
	}
	return m
}

func TestHandmade(t *testing.T) {
	p := New(DefaultOptions())
	for _, c := range []int{19, 5} {
		for _, tc := range handmade {
			t.Run(tc.name, func(t *testing.T) {
				probs, gt, h, w := artMap(c, tc.art)
				for _, logits := range []bool{false, true} {
					data := probs
					if logits {
						data = make([]float32, len(probs))
						for i, v := range probs {
							data[i] = float32(math.Log(float64(v)))
						}
					}
					r, err := p.Process(Input{C: c, H: h, W: w, Data: data, Logits: logits, GT: gt})
					if err != nil {
						t.Fatal(err)
					}
					agree(t, r, runNaive(c, h, w, probs, gt, nil, DefaultOptions()), true)
					tc.check(t, r)
					r.Release()
				}
			})
		}
	}
}

// TestRandomAgainstNaive: random blobby maps with random GT, ignore and ROI, against the naive code.
func TestRandomAgainstNaive(t *testing.T) {
	p := New(DefaultOptions())
	total := 0
	defer func() {
		if total < 40 {
			t.Errorf("only %d components over all seeds: the test exercises too little", total)
		}
	}()
	for seed := uint64(0); seed < 40; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		c := 2 + rng.IntN(20)
		h, w := 1+rng.IntN(24), 1+rng.IntN(40)
		art := make([]string, h)
		chars := "..........oooXg#%u"
		for y := range art {
			b := make([]byte, w)
			for x := range b {
				b[x] = chars[rng.IntN(len(chars))]
			}
			art[y] = string(b)
		}
		probs, gt, _, _ := artMap(c, art)
		var roi []bool
		if seed%3 == 0 {
			roi = make([]bool, h*w)
			for i := range roi {
				roi[i] = rng.IntN(5) == 0
			}
		}
		withGT := seed%4 != 1
		in := Input{C: c, H: h, W: w, Data: probs, Ignore: roi}
		var g []uint8
		if withGT {
			in.GT, g = gt, gt
		}
		r, err := p.Process(in)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		total += len(r.Components)
		t.Run("", func(t *testing.T) { agree(t, r, runNaive(c, h, w, probs, g, roi, DefaultOptions()), withGT) })
		r.Release()
	}
}
