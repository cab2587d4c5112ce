package postproc

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/metaood/metaood/internal/npy"
	"github.com/metaood/metaood/internal/sharedtest"
)

// fixture is one conformance case of ../shared/conformance/cases.
type fixture struct {
	name       string
	c, h, w    int
	probs      []float32
	gt         []uint8
	entropy    []float32
	components []int16
	header     []string
	rows       [][]float64
}

func loadFixture(t testing.TB, dir string) *fixture {
	t.Helper()
	f := &fixture{name: filepath.Base(dir)}
	p, err := npy.ReadFile(filepath.Join(dir, "probs.npy"))
	if err != nil {
		t.Fatal(err)
	}
	f.c, f.h, f.w, f.probs = p.Shape[0], p.Shape[1], p.Shape[2], p.F32
	gt, gw, gh, err := ReadLabelPNG(filepath.Join(dir, "gt.png"))
	if err != nil {
		t.Fatal(err)
	}
	if gw != f.w || gh != f.h {
		t.Fatalf("%s: gt %dx%d, probs %dx%d", dir, gw, gh, f.w, f.h)
	}
	f.gt = gt
	e, err := npy.ReadFile(filepath.Join(dir, "entropy.npy"))
	if err != nil {
		t.Fatal(err)
	}
	f.entropy = e.F32
	cm, err := npy.ReadFile(filepath.Join(dir, "components.npy"))
	if err != nil {
		t.Fatal(err)
	}
	f.components = cm.I16
	f.header, f.rows = readCSV(t, filepath.Join(dir, "expected.csv"))
	return f
}

func readCSV(t testing.TB, path string) ([]string, [][]float64) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	recs, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	rows := make([][]float64, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		row := make([]float64, len(rec))
		for i, s := range rec {
			if row[i], err = strconv.ParseFloat(s, 64); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		rows = append(rows, row)
	}
	return recs[0], rows
}

// exactColumns are compared without tolerance (conformance README).
var exactColumns = map[string]bool{"S": true, "S_in": true, "S_bd": true, "iou0": true}

// closeEnough is the README's suggested comparison: 1e-6 + 1e-5·|expected|.
func closeEnough(got, want float64) bool {
	return math.Abs(got-want) <= 1e-6+1e-5*math.Abs(want)
}

// checkAgainst compares a result with a fixture: component map and count first, then every column.
func checkAgainst(t *testing.T, f *fixture, r *Result) {
	t.Helper()
	if len(r.Components) != len(f.rows) {
		t.Errorf("%d components, want %d", len(r.Components), len(f.rows))
	}
	bad := 0
	for i, want := range f.components {
		if r.Labels[i] != int32(want) && bad < 5 {
			t.Errorf("component map at row %d col %d: %d, want %d", i/f.w, i%f.w, r.Labels[i], want)
			bad++
		}
	}
	if t.Failed() {
		return
	}
	worstE := 0.0
	for i, want := range f.entropy {
		worstE = max(worstE, math.Abs(float64(r.Entropy[i])-float64(want)))
	}
	if worstE > 1e-6 {
		t.Errorf("entropy map differs by up to %g", worstE)
	}
	names := append(MetricNames(f.c), "iou", "iou0")
	if fmt.Sprint(names) != fmt.Sprint(f.header) {
		t.Fatalf("header\n got %v\nwant %v", names, f.header)
	}
	worst, worstName := 0.0, ""
	for k, want := range f.rows {
		got := append(append([]float64(nil), r.Row(k)...), r.IoU[k], float64(r.IoU0[k]))
		for j, name := range names {
			ok := got[j] == want[j]
			if !exactColumns[name] {
				ok = closeEnough(got[j], want[j])
				if d := math.Abs(got[j]-want[j]) / (1e-6 + 1e-5*math.Abs(want[j])); d > worst {
					worst, worstName = d, name
				}
			}
			if !ok {
				t.Errorf("component %d column %s: %.9g, want %.9g", k+1, name, got[j], want[j])
			}
		}
	}
	t.Logf("%d components; worst column %q at %.3g of the tolerance; entropy map within %.2g", len(f.rows), worstName, worst, worstE)
}

func TestConformance(t *testing.T) {
	root := sharedtest.Path(t, "conformance/cases")
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	p := New(DefaultOptions())
	for _, d := range dirs {
		t.Run(d.Name(), func(t *testing.T) {
			f := loadFixture(t, filepath.Join(root, d.Name()))
			r, err := p.Process(Input{C: f.c, H: f.h, W: f.w, Data: f.probs, GT: f.gt})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Release()
			checkAgainst(t, f, r)
		})
	}
}

// TestConformanceLogits feeds ln p as logits: the softmax gives p back, so the same expected values
// must come out of the logits path (up to float32 rounding of the round trip).
func TestConformanceLogits(t *testing.T) {
	root := sharedtest.Path(t, "conformance/cases")
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	p := New(DefaultOptions())
	for _, d := range dirs {
		t.Run(d.Name(), func(t *testing.T) {
			f := loadFixture(t, filepath.Join(root, d.Name()))
			logits := make([]float32, len(f.probs))
			for i, v := range f.probs {
				logits[i] = float32(math.Log(max(float64(v), 1e-30))) + 3 // a shift the softmax must not see
			}
			r, err := p.Process(Input{C: f.c, H: f.h, W: f.w, Data: logits, Logits: true, GT: f.gt})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Release()
			checkAgainst(t, f, r)
		})
	}
}
