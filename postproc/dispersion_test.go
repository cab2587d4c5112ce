package postproc

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/metaood/metaood/frame"
)

// dispersionOf summarises a class-major probability map the way infer's dispersion head does
// (in float64, rounded once): entropy, argmax of the logits, top-2, and the kept columns.
func dispersionOf(logits, probs []float32, c, hw int, t float32) *frame.Dispersion {
	d := &frame.Dispersion{Entropy: make([]float32, hw), Argmax: make([]uint8, hw), Top2: make([]float32, 2*hw), Threshold: t}
	var kept []int
	for i := range hw {
		var h float64
		am, p1, p2 := 0, float32(-1), float32(-1)
		for k := range c {
			p := float64(probs[k*hw+i])
			if p > 0 {
				h -= p * math.Log(p)
			}
			if logits[k*hw+i] > logits[am*hw+i] {
				am = k
			}
			if q := probs[k*hw+i]; q > p1 {
				p1, p2 = q, p1
			} else if q > p2 {
				p2 = q
			}
		}
		d.Entropy[i] = float32(h / math.Log(float64(c)))
		d.Argmax[i], d.Top2[i], d.Top2[hw+i] = uint8(am), p1, p2
		if d.Entropy[i] >= t {
			kept = append(kept, i)
		}
	}
	d.M = len(kept)
	d.MaskProbs = make([]float32, c*d.M)
	for k := range c {
		for j, i := range kept {
			d.MaskProbs[k*d.M+j] = probs[k*hw+i]
		}
	}
	return d
}

// TestDispersionMatchesClassMap: the metrics from a dispersion input equal those from the class
// map it summarises (logits and probabilities), with a region of interest and ground truth.
func TestDispersionMatchesClassMap(t *testing.T) {
	const c, h, w = 19, 96, 200
	logits, probs := synthLogits(c, h, w, 12, 3)
	hw := h * w
	ignore := make([]bool, hw)
	gt := make([]uint8, hw)
	for i := range hw {
		ignore[i] = i/w > h-6 // the hood
		if i%w > w/2 && i/w > h/2 {
			gt[i] = DefaultOODLabel
		}
	}
	p := New(DefaultOptions())
	disp := dispersionOf(logits, probs, c, hw, DefaultThreshold)
	got, err := p.Process(Input{C: c, H: h, W: w, Disp: disp, Ignore: ignore, GT: gt})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if len(got.Components) < 5 {
		t.Fatalf("only %d components: the test map should have several", len(got.Components))
	}
	// The same columns inside a wider tensor (a frame of a batch): the same metrics, exactly.
	wide := *disp
	wide.Stride = disp.M + 7
	wide.MaskProbs = make([]float32, 3+c*wide.Stride)
	for k := range c {
		copy(wide.MaskProbs[3+k*wide.Stride:], disp.MaskProbs[k*disp.M:(k+1)*disp.M])
	}
	wide.MaskProbs = wide.MaskProbs[3:]
	strided, err := p.Process(Input{C: c, H: h, W: w, Disp: &wide, Ignore: ignore, GT: gt})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(strided.Metrics, got.Metrics) {
		t.Error("a strided dispersion input gives other metrics")
	}
	strided.Release()
	// The pipeline's way in: a map carrying Disp and no Data.
	viaMap, err := NewMapAnalyzer(DefaultOptions(), true, nil).Analyze(&frame.Map{C: c, H: h, W: w, Disp: disp})
	if err != nil {
		t.Fatal(err)
	}
	if len(viaMap.Components) < len(got.Components) {
		t.Errorf("MapAnalyzer: %d components, want at least %d (the ignore mask is off)", len(viaMap.Components), len(got.Components))
	}
	viaMap.Release()
	for _, tc := range []struct {
		name string
		in   Input
	}{
		{"logits", Input{C: c, H: h, W: w, Data: logits, Logits: true, Ignore: ignore, GT: gt}},
		{"probs", Input{C: c, H: h, W: w, Data: probs, Ignore: ignore, GT: gt}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := p.Process(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			defer want.Release()
			if len(got.Components) != len(want.Components) {
				t.Fatalf("%d components from the dispersion input, %d from the class map", len(got.Components), len(want.Components))
			}
			for k := range want.Components {
				if got.Components[k] != want.Components[k] {
					t.Fatalf("component %d: %+v, want %+v", k+1, got.Components[k], want.Components[k])
				}
			}
			names := MetricNames(c)
			worst := 0.0
			for i, v := range want.Metrics {
				// E, D and V sums are float32 per pixel: relative 1e-5 plus an absolute floor for
				// values near 0 (a variance is a difference of close sums).
				diff := math.Abs(got.Metrics[i] - v)
				worst = max(worst, diff/(1e-4+math.Abs(v)))
				if diff > 1e-5*math.Abs(v)+2e-6 {
					t.Errorf("component %d %s = %v, want %v", i/len(names)+1, names[i%len(names)], got.Metrics[i], v)
				}
			}
			for i := range want.IoU {
				if got.IoU[i] != want.IoU[i] || got.IoU0[i] != want.IoU0[i] {
					t.Errorf("component %d IoU %v/%d, want %v/%d", i+1, got.IoU[i], got.IoU0[i], want.IoU[i], want.IoU0[i])
				}
			}
			t.Logf("%d components, largest relative metric difference %.2g", len(want.Components), worst)
		})
	}
}

func TestDispersionErrors(t *testing.T) {
	const c, h, w = 3, 4, 5
	hw := h * w
	good := func() *frame.Dispersion {
		d := &frame.Dispersion{Entropy: make([]float32, hw), Argmax: make([]uint8, hw), Top2: make([]float32, 2*hw), Threshold: 0.7}
		d.Entropy[7], d.M, d.MaskProbs = 0.9, 1, []float32{0.3, 0.3, 0.4}
		return d
	}
	cases := []struct {
		name   string
		change func(d *frame.Dispersion)
		opts   Options
		want   error
		msg    string
	}{
		{"short entropy", func(d *frame.Dispersion) { d.Entropy = d.Entropy[:3] }, Options{}, ErrShape, "entropy has 3 pixels"},
		{"short top2", func(d *frame.Dispersion) { d.Top2 = d.Top2[:hw] }, Options{}, ErrShape, "top-2"},
		{"short argmax", func(d *frame.Dispersion) { d.Argmax = nil }, Options{}, ErrShape, "argmax has 0"},
		{"columns", func(d *frame.Dispersion) { d.MaskProbs = d.MaskProbs[:2] }, Options{}, ErrShape, "2 values for 3 classes × 1 pixels"},
		{"stride", func(d *frame.Dispersion) { d.Stride = 2 }, Options{}, ErrShape, "(stride 2)"},
		{"kept count", func(d *frame.Dispersion) { d.Entropy[8] = 0.8 }, Options{}, ErrShape, "kept 1 pixels, but 2"},
		{"NaN entropy", func(d *frame.Dispersion) { d.Entropy[9] = float32(math.NaN()) }, Options{}, ErrNotFinite, "row 1, col 4"},
		{"entropy range", func(d *frame.Dispersion) { d.Entropy[2] = 1.5 }, Options{}, ErrShape, "outside [0, 1]"},
		{"class", func(d *frame.Dispersion) { d.Argmax[3] = 3 }, Options{}, ErrShape, "class 3 of 3"},
		{"threshold below head", func(d *frame.Dispersion) {}, Options{Threshold: 0.5}, ErrOptions, "threshold in use"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := good()
			tc.change(d)
			r, err := New(tc.opts).Process(Input{C: c, H: h, W: w, Disp: d})
			if !errors.Is(err, tc.want) || r != nil {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
	r, err := New(Options{Threshold: 0.8}).Process(Input{C: c, H: h, W: w, Disp: good()})
	if err != nil {
		t.Fatalf("a threshold above the head's: %v", err)
	}
	if len(r.Components) != 1 || r.Components[0].Area != 1 {
		t.Errorf("components %+v, want one of one pixel", r.Components)
	}
	r.Release()
}
