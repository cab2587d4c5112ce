package metaclf

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/metaood/metaood/segmodel"
)

func ptr(v float64) *float64 { return &v }

// tiny is a 2-feature MLP 2→2→1 whose output is computed by hand in TestForwardByHand.
func tiny() File {
	return File{Format: FormatTag, Version: Version, Kind: KindMLP, Features: []string{"a", "b"},
		Mean: []float64{1, -1}, Std: []float64{2, 0.5},
		Layers: []Layer{
			{W: [][]float64{{1, -1}, {0.5, 2}}, B: []float64{0, -3}},
			{W: [][]float64{{2, -1}}, B: []float64{0.25}},
		}, Threshold: ptr(0.5)}
}

func TestForwardByHand(t *testing.T) {
	m, err := New(tiny())
	if err != nil {
		t.Fatal(err)
	}
	// x = (5, 0): z = ((5−1)/2, (0+1)/0.5) = (2, 2)
	// h1 = relu(2 − 2 + 0) = 0, h2 = relu(1 + 4 − 3) = 2; out = 2·0 − 1·2 + 0.25 = −1.75
	want := 1 / (1 + math.Exp(1.75))
	// x = (1, −1): z = (0, 0); h = relu(0, −3) = (0, 0); out = 0.25
	want2 := 1 / (1 + math.Exp(-0.25))
	x := []float64{5, 0, 1, -1}
	out := make([]float64, 2)
	m.PredictBatch(x, 2, out)
	if math.Abs(out[0]-want) > 1e-15 || math.Abs(out[1]-want2) > 1e-15 {
		t.Fatalf("got %v, want [%v %v]", out, want, want2)
	}
	if got := m.Predict([]float64{5, 0}); got != out[0] {
		t.Fatalf("Predict %v != PredictBatch %v", got, out[0])
	}
}

func TestLRForward(t *testing.T) {
	f := File{Format: FormatTag, Version: Version, Kind: KindLR, Features: []string{"a", "b"},
		Mean: []float64{0, 0}, Std: []float64{1, 1}, Layers: []Layer{{W: [][]float64{{2, -3}}, B: []float64{0.5}}}}
	m, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	// 2·1 − 3·2 + 0.5 = −3.5; no ReLU on the only layer.
	if got, want := m.Predict([]float64{1, 2}), 1/(1+math.Exp(3.5)); math.Abs(got-want) > 1e-15 {
		t.Fatalf("got %v want %v", got, want)
	}
	if m.Threshold() != DefaultThreshold {
		t.Fatalf("threshold %v, want default %v", m.Threshold(), DefaultThreshold)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	m, err := New(tiny())
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Parse(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	x := []float64{0.3, 7, -2, 1}
	o1, o2 := make([]float64, 2), make([]float64, 2)
	m.PredictBatch(x, 2, o1)
	m2.PredictBatch(x, 2, o2)
	if o1[0] != o2[0] || o1[1] != o2[1] {
		t.Fatalf("round trip changed predictions: %v vs %v", o1, o2)
	}
}

func TestParseErrors(t *testing.T) {
	mod := func(f func(*File)) []byte {
		x := tiny()
		f(&x)
		b, _ := json.Marshal(x)
		return b
	}
	cases := []struct {
		name string
		data []byte
		want error
		text string
	}{
		{"not json", []byte("{"), ErrFormat, ""},
		{"format", mod(func(f *File) { f.Format = "x" }), ErrFormat, "format"},
		{"version", mod(func(f *File) { f.Version = 2 }), ErrFormat, "version 2"},
		{"kind", mod(func(f *File) { f.Kind = "svm" }), ErrFormat, "svm"},
		{"mean length", mod(func(f *File) { f.Mean = f.Mean[:1] }), ErrShape, "mean"},
		{"std zero", mod(func(f *File) { f.Std[1] = 0 }), ErrValue, "feature b"},
		{"row width", mod(func(f *File) { f.Layers[1].W[0] = []float64{1} }), ErrShape, "layer 1 row 0"},
		{"two outputs", mod(func(f *File) { f.Layers[1].W = append(f.Layers[1].W, []float64{1, 1}); f.Layers[1].B = []float64{0, 0} }), ErrShape, "2 outputs"},
		{"threshold", mod(func(f *File) { f.Threshold = ptr(1.5) }), ErrValue, "threshold"},
		{"classes", mod(func(f *File) { f.Classes = 19 }), ErrShape, "75"},
		{"lr layers", mod(func(f *File) { f.Kind = KindLR }), ErrShape, "exactly 1"},
		{"model sha short", mod(func(f *File) { f.ModelSHA256 = "0884a8e7" }), ErrValue, "model_sha256"},
		{"model sha not hex", mod(func(f *File) { f.ModelSHA256 = strings.Repeat("g", 64) }), ErrValue, "model_sha256"},
		{"map size one", mod(func(f *File) { f.MapSize = []int{1024} }), ErrValue, "map_size"},
		{"map size zero", mod(func(f *File) { f.MapSize = []int{1024, 0} }), ErrValue, "map_size"},
		{"map size three", mod(func(f *File) { f.MapSize = []int{1, 2, 3} }), ErrValue, "map_size"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.data)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("got %v, want %v containing %q", err, c.want, c.text)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	m, _ := New(tiny())
	cases := []struct {
		names []string
		text  string
	}{
		{[]string{"a", "b"}, ""},
		{[]string{"a", "c"}, `feature 1 is "b" in the classifier but "c"`},
		{[]string{"a"}, "has 2 features"},
	}
	for _, c := range cases {
		err := m.Check(c.names)
		if c.text == "" {
			if err != nil {
				t.Errorf("%v: %v", c.names, err)
			}
			continue
		}
		if !errors.Is(err, ErrFeatures) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%v: got %v, want %q", c.names, err, c.text)
		}
	}
}

// names19 is the SPEC §2.3 order for 19 classes (sorted byte-wise), built here to avoid importing postproc.
func names19() []string {
	var n []string
	for _, h := range []string{"D", "E"} {
		n = append(n, h, h+"_bd", h+"_in", h+"_rel", h+"_rel_in", h+"_var", h+"_var_bd", h+"_var_in", h+"_var_rel", h+"_var_rel_in")
	}
	n = append(n, "S", "S_bd", "S_in", "S_rel", "S_rel_in")
	n = append(n, "V", "V_bd", "V_in", "V_rel", "V_rel_in", "V_var", "V_var_bd", "V_var_in", "V_var_rel", "V_var_rel_in")
	for _, p := range []string{"cprob", "ndist"} {
		for _, c := range []string{"0", "1", "10", "11", "12", "13", "14", "15", "16", "17", "18", "2", "3", "4", "5", "6", "7", "8", "9"} {
			n = append(n, p+c)
		}
		if p == "cprob" {
			n = append(n, "mean_x", "mean_y")
		}
	}
	return n
}

func TestDefault(t *testing.T) {
	m := Default()
	if err := m.Check(names19()); err != nil {
		t.Fatal(err)
	}
	if m.Kind() != KindMLP || m.NumParams() != 17176 || m.Classes() != 19 {
		t.Fatalf("default: kind %s, %d params, %d classes; want mlp, 17176, 19", m.Kind(), m.NumParams(), m.Classes())
	}
	// Provenance: trained on synthetic drives through the tiny model (scripts/train-default-metaclf.sh),
	// with the numbers of its honest cross-validation.
	var prov struct {
		Command     string  `json:"command"`
		NComponents int     `json:"n_components"`
		NFP         int     `json:"n_false_positive"`
		FPShare     float64 `json:"fp_share"`
		Drives      struct {
			Seeds  []int `json:"seeds"`
			Frames int   `json:"frames"`
		} `json:"drives"`
		CV map[string]float64 `json:"cv_mlp_images5"`
	}
	if err := json.Unmarshal(m.Trained(), &prov); err != nil {
		t.Fatalf("provenance %s: %v", m.Trained(), err)
	}
	if !strings.Contains(prov.Command, "train-default-metaclf.sh") || len(prov.Drives.Seeds) == 0 || prov.Drives.Frames == 0 ||
		prov.NComponents < 1000 || prov.NFP >= prov.NComponents || !(prov.FPShare > 0 && prov.FPShare < 1) ||
		!(prov.CV["auroc"] > 0.5 && prov.CV["auroc"] <= 1) || !(prov.CV["auprc"] > 0 && prov.CV["auprc"] <= 1) {
		t.Fatalf("provenance does not describe the synthetic-drive training: %s", m.Trained())
	}
	// It records the model and map size it fits: the built-in tiny model at the default drive's size.
	if got, want := m.ModelSHA256(), ModelHash(segmodel.Tiny()); got != want {
		t.Errorf("default classifier records model sha256 %q, want the built-in tiny model's %s (rerun scripts/train-default-metaclf.sh)", got, want)
	}
	if w, h := m.MapSize(); w != 1024 || h != 512 {
		t.Errorf("default classifier records map size %dx%d, want 1024x512", w, h)
	}
	if slices.Contains(prov.Drives.Seeds, 1) || slices.Contains(prov.Drives.Seeds, 1001) {
		t.Errorf("trained on seeds %v: 1 and 1001 are the tiny model's training and held-out drives", prov.Drives.Seeds)
	}
	// Probabilities in (0,1) for a spread of inputs.
	f := m.File()
	x := make([]float64, 3*75)
	for i := range x {
		x[i] = f.Mean[i%75] + 0.5*float64(i/75-1)*f.Std[i%75]
	}
	out := make([]float64, 3)
	m.PredictBatch(x, 3, out)
	for _, p := range out {
		if !(p > 0 && p < 1) {
			t.Fatalf("P(FP) %v outside (0,1)", p)
		}
	}
}

func TestPredictBatchNoAlloc(t *testing.T) {
	m := Default()
	x := make([]float64, 64*75)
	out := make([]float64, 64)
	m.PredictBatch(x, 64, out) // warm the pool
	if a := testing.AllocsPerRun(20, func() { m.PredictBatch(x, 64, out) }); a != 0 {
		t.Fatalf("PredictBatch allocates %v times per call", a)
	}
}

func TestConcurrentPredict(t *testing.T) {
	m := Default()
	x := make([]float64, 8*75)
	for i := range x {
		x[i] = math.Sin(float64(i))
	}
	want := make([]float64, 8)
	m.PredictBatch(x, 8, want)
	done := make(chan []float64)
	for range 4 {
		go func() {
			out := make([]float64, 8)
			for range 50 {
				m.PredictBatch(x, 8, out)
			}
			done <- out
		}()
	}
	for range 4 {
		got := <-done
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("row %d: %v != %v", i, got[i], want[i])
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	b, _ := json.Marshal(tiny())
	f.Add(b)
	f.Add(DefaultJSON()[:200])
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		x := make([]float64, len(m.Features()))
		p := m.Predict(x)
		if !(p >= 0 && p <= 1) {
			t.Fatalf("P %v outside [0,1]", p)
		}
	})
}

func BenchmarkPredictBatch(b *testing.B) {
	m := Default()
	const n = 128
	x := make([]float64, n*75)
	for i := range x {
		x[i] = math.Cos(float64(i))
	}
	out := make([]float64, n)
	b.ReportAllocs()
	for b.Loop() {
		m.PredictBatch(x, n, out)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/component")
}

// TestWithThreshold: the override decides at its own threshold and predicts like the model.
func TestWithThreshold(t *testing.T) {
	m := Default()
	if d := m.WithThreshold(0); d != Decider(m) || d.Threshold() != m.Threshold() {
		t.Errorf("WithThreshold(0) = %v (threshold %v), want the model itself", d, d.Threshold())
	}
	d := m.WithThreshold(0.8)
	if d.Threshold() != 0.8 || m.Threshold() == 0.8 {
		t.Fatalf("thresholds %v (override) and %v (model)", d.Threshold(), m.Threshold())
	}
	x := make([]float64, len(m.Features()))
	var a, b [1]float64
	m.PredictBatch(x, 1, a[:])
	d.PredictBatch(x, 1, b[:])
	if a != b {
		t.Errorf("override predicts %v, model %v", b, a)
	}
}

// TestParseStrict: a misspelt key, a key given twice, a second document and threshold 0 are
// errors (each would silently change what the classifier does).
func TestParseStrict(t *testing.T) {
	good := string(DefaultJSON())
	if _, err := Parse([]byte(good)); err != nil {
		t.Fatalf("the default file: %v", err)
	}
	for name, doc := range map[string]string{
		"misspelt key":   strings.Replace(good, `"format"`, `"threshhold": 0.7, "format"`, 1),
		"duplicate key":  strings.Replace(good, `"format"`, `"kind": "lr", "format"`, 1),
		"two documents":  good + "\n{}",
		"threshold zero": strings.Replace(good, `"threshold": 0.5`, `"threshold": 0`, 1),
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
