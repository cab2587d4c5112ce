package postproc

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
)

func TestProcessErrors(t *testing.T) {
	const c, h, w = 3, 4, 5
	uniform := func() []float32 {
		d := make([]float32, c*h*w)
		for i := range d {
			d[i] = 1.0 / 3
		}
		return d
	}
	with := func(i int, v float32) []float32 { d := uniform(); d[i] = v; return d }
	cases := []struct {
		name string
		in   Input
		want error
		msg  string
	}{
		{"short data", Input{C: c, H: h, W: w, Data: make([]float32, 10)}, ErrShape, "10 values"},
		{"one class", Input{C: 1, H: h, W: w, Data: make([]float32, h*w)}, ErrShape, "1 classes"},
		{"zero size", Input{C: c, H: 0, W: w}, ErrShape, "size"},
		{"ignore size", Input{C: c, H: h, W: w, Data: uniform(), Ignore: make([]bool, 3)}, ErrShape, "ignore"},
		{"gt size", Input{C: c, H: h, W: w, Data: uniform(), GT: make([]uint8, 3)}, ErrShape, "ground truth"},
		{"NaN prob", Input{C: c, H: h, W: w, Data: with(2*h*w+7, float32(math.NaN()))}, ErrNotFinite, "class 2 at row 1, col 2"},
		{"Inf prob", Input{C: c, H: h, W: w, Data: with(3, float32(math.Inf(1)))}, ErrNotFinite, "+Inf"},
		{"negative prob", Input{C: c, H: h, W: w, Data: with(h*w+4, -0.1)}, ErrNotProbabilities, "negative"},
		{"sum not 1", Input{C: c, H: h, W: w, Data: with(19, 0.9)}, ErrNotProbabilities, "if these are logits, say so"},
		{"NaN logit", Input{C: c, H: h, W: w, Data: with(5, float32(math.NaN())), Logits: true}, ErrNotFinite, "row 1, col 0"},
		{"-Inf logit", Input{C: c, H: h, W: w, Data: with(h*w+5, float32(math.Inf(-1))), Logits: true}, ErrNotFinite, "-Inf"},
	}
	p := New(DefaultOptions())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := p.Process(tc.in)
			if !errors.Is(err, tc.want) || r != nil {
				t.Fatalf("err = %v (result %v), want %v", err, r, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
	// A bad value in the last pixel of a map whose size is no multiple of the vector width.
	const n = 2*blk + 13
	big := make([]float32, 2*n)
	for i := range big {
		big[i] = 0.5
	}
	big[2*n-1] = float32(math.NaN())
	for _, logits := range []bool{false, true} {
		if _, err := p.Process(Input{C: 2, H: 1, W: n, Data: big, Logits: logits}); !errors.Is(err, ErrNotFinite) || !strings.Contains(err.Error(), fmt.Sprintf("col %d", n-1)) {
			t.Errorf("logits=%v: NaN in the tail: %v", logits, err)
		}
	}
}

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		o  Options
		ok bool
	}{
		{Options{}, true},
		{DefaultOptions(), true},
		{Options{Threshold: 1.2}, false},
		{Options{Threshold: float32(math.NaN())}, false},
		{Options{Threshold: 0.5, OODLabel: 2, IgnoreLabel: 2}, false},
		{Options{Threshold: 0.5, OODLabel: 2, IgnoreLabel: 255}, true},
	} {
		err := tc.o.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%+v: err %v, want ok=%v", tc.o, err, tc.ok)
		}
		if !tc.ok {
			if _, perr := New(tc.o).Process(Input{}); !errors.Is(perr, ErrOptions) {
				t.Errorf("%+v: Process err %v, want ErrOptions", tc.o, perr)
			}
		}
	}
	if o := New(Options{}).Options(); o != DefaultOptions() {
		t.Errorf("zero options became %+v", o)
	}
	// Each zero label takes its own default: LostAndFound's {OODLabel: 2} must not ignore label 0.
	if o := New(Options{OODLabel: 2}).Options(); o.OODLabel != 2 || o.IgnoreLabel != DefaultIgnoreLabel {
		t.Errorf("{OODLabel: 2} became %+v", o)
	}
	if o := New(Options{IgnoreLabel: 255}).Options(); o.OODLabel != DefaultOODLabel {
		t.Errorf("{IgnoreLabel: 255} became %+v", o)
	}
}

func TestMetricNames(t *testing.T) {
	n := MetricNames(19)
	if len(n) != 75 || NumMetrics(19) != 75 {
		t.Fatalf("%d names", len(n))
	}
	// SPEC §2.3 anchors.
	for i, want := range map[int]string{0: "D", 9: "D_var_rel_in", 10: "E", 20: "S", 24: "S_rel_in", 25: "V", 35: "cprob0",
		37: "cprob10", 45: "cprob18", 46: "cprob2", 53: "cprob9", 54: "mean_x", 55: "mean_y", 56: "ndist0", 58: "ndist10", 74: "ndist9"} {
		if n[i] != want {
			t.Errorf("column %d = %s, want %s", i, n[i], want)
		}
	}
	n[0] = "changed"
	if MetricNames(19)[0] != "D" {
		t.Error("MetricNames returns a shared slice")
	}
	if len(MetricNames(3)) != 43 {
		t.Error("3 classes")
	}
}

// TestConcurrent runs several frames in parallel on one Processor (run with -race) and checks each
// against the same frame processed alone.
func TestConcurrent(t *testing.T) {
	p := New(DefaultOptions())
	type job struct {
		in   Input
		want string
	}
	var jobs []job
	for s := uint64(0); s < 6; s++ {
		logits, probs := synthLogits(7, 40, 64, 5, s)
		in := Input{C: 7, H: 40, W: 64, Data: probs}
		if s%2 == 1 {
			in = Input{C: 7, H: 40, W: 64, Data: logits, Logits: true}
		}
		r, err := p.Process(in)
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, job{in, fmt.Sprint(r.Labels, r.Metrics)})
		r.Release()
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 4; i++ {
				j := jobs[(g+i)%len(jobs)]
				r, err := p.Process(j.in)
				if err != nil {
					errs <- err
					return
				}
				if got := fmt.Sprint(r.Labels, r.Metrics); got != j.want {
					errs <- fmt.Errorf("goroutine %d: result differs from the sequential one", g)
				}
				r.Release()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestNoAllocSteadyState: once the pool is warm a frame allocates nothing (pipeline requirement).
func TestNoAllocSteadyState(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items on purpose under -race")
	}
	logits, _ := synthLogits(19, 48, 96, 6, 3)
	p := New(DefaultOptions())
	in := Input{C: 19, H: 48, W: 96, Data: logits, Logits: true, GT: make([]uint8, 48*96)}
	for i := 0; i < 3; i++ {
		r, err := p.Process(in)
		if err != nil {
			t.Fatal(err)
		}
		r.Release()
	}
	allocs := testing.AllocsPerRun(20, func() {
		r, _ := p.Process(in)
		r.Release()
	})
	if allocs > 0 {
		t.Errorf("%.1f allocations per frame in steady state", allocs)
	}
}

func TestReleaseTwice(t *testing.T) {
	p := New(DefaultOptions())
	_, probs := synthLogits(3, 16, 32, 1, 1)
	r, err := p.Process(Input{C: 3, H: 16, W: 32, Data: probs})
	if err != nil {
		t.Fatal(err)
	}
	r.Release()
	r.Release() // must not put the same buffers into the pool twice
	a, _ := p.Process(Input{C: 3, H: 16, W: 32, Data: probs})
	b, _ := p.Process(Input{C: 3, H: 16, W: 32, Data: probs})
	if a == b {
		t.Fatal("two live results share buffers")
	}
}
