// Package metaclf is the meta classifier of metaood: a small logistic regression or MLP that maps the
// per-component metrics (docs/METHOD.md §3) to P(false positive), read from a versioned JSON file
// (docs/CONTRACTS.md §3). Pure Go; inference is batched and allocation-free in steady state.
//
// What it was trained for. The metrics of a component depend on the segmentation model that made the
// class map and on the map's resolution (areas, boundary lengths, positions), so a classifier only fits
// the model and map size its training components came from. Two optional top-level fields of the file
// (format version 1; files without them load as before, and older builds ignore them) record that:
//
//	"model_sha256": "0884a8e7…"   lowercase hex SHA-256 of the .onnx file's bytes (ModelHash) the
//	                               components were computed with; absent when unknown (e.g. stored maps)
//	"map_size": [1024, 512]       [W, H] of the class maps the metrics were computed at (the model's
//	                               output resolution, not the video's); absent when unknown or mixed
//
// 'metaood calib dataset' writes them into a sidecar next to the CSV (<csv>.meta.json) and 'metaood
// calib train' copies them into the file (--model-sha256, --map-size override). 'metaood run' and
// 'bench' compare them with the model they load and the maps it produces: a mismatch stops the run
// unless --force; a file that records no model is used with a warning. CheckModel and CheckMapSize
// are those comparisons.
package metaclf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
)

// FormatTag and Version identify the JSON file format.
const (
	FormatTag = "metaood-metaclf"
	Version   = 1
)

// Kinds of classifier.
const (
	KindLR  = "lr"
	KindMLP = "mlp"
)

// DefaultThreshold removes a component when P(FP) > 0.5, as the reference's argmax does (docs/METHOD.md §5).
const DefaultThreshold = 0.5

// Layer is one affine layer: W is out×in (PyTorch's nn.Linear layout), B has length out.
type Layer struct {
	W [][]float64 `json:"w"`
	B []float64   `json:"b"`
}

// File is the JSON document, field for field. Model is built from it by Parse or New.
type File struct {
	Format    string    `json:"format"`
	Version   int       `json:"version"`
	Kind      string    `json:"kind"`
	Features  []string  `json:"features"`
	Classes   int       `json:"classes"`
	Mean      []float64 `json:"mean"`
	Std       []float64 `json:"std"`
	Layers    []Layer   `json:"layers"`
	Threshold *float64  `json:"threshold,omitempty"`
	// ModelSHA256 is the lowercase hex SHA-256 of the segmentation model's .onnx bytes the training
	// components came from (ModelHash); "" = not recorded.
	ModelSHA256 string `json:"model_sha256,omitempty"`
	// MapSize is [W, H] of the class maps the training metrics were computed at; nil = not recorded.
	MapSize []int           `json:"map_size,omitempty"`
	Trained json.RawMessage `json:"trained,omitempty"`
}

// Model is a loaded meta classifier. Hidden layers use ReLU, the last layer (one output) a sigmoid;
// inputs are standardized as (x − mean)/std first. A Model is immutable and safe for concurrent use.
type Model struct {
	f       File
	thr     float64
	in      int
	dims    []int       // dims[0] = in, dims[k] = out of layer k-1
	w       [][]float64 // flattened row-major weights per layer
	b       [][]float64
	maxW    int
	scratch sync.Pool // *[]float64 of 2*maxW, reused across PredictBatch calls
}

// Load reads and checks a classifier file.
func Load(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("meta classifier %s: %w (pass a file written by 'metaood calib train')", path, err)
	}
	m, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("meta classifier %s: %w", path, err)
	}
	return m, nil
}

// Parse decodes and checks a classifier document.
// Unknown keys (a misspelt "threshhold") and keys given twice are errors: either would leave a
// setting silently at its default.
func Parse(data []byte) (*Model, error) {
	if err := noDuplicateKeys(data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: more than one JSON value in the file", ErrFormat)
	}
	return New(f)
}

// noDuplicateKeys walks a JSON document and reports the first object key given twice.
func noDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func() error
	walk = func() error {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := k.(string)
				if seen[key] {
					return fmt.Errorf("key %q given twice", key)
				}
				seen[key] = true
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token() // '}'
			return err
		case json.Delim('['):
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token() // ']'
			return err
		}
		return nil
	}
	return walk()
}

// New checks f and builds the model from it (f's slices are copied).
func New(f File) (*Model, error) {
	if f.Format != FormatTag {
		return nil, fmt.Errorf("%w: format is %q, want %q", ErrFormat, f.Format, FormatTag)
	}
	if f.Version != Version {
		return nil, fmt.Errorf("%w: version %d, this build reads version %d", ErrFormat, f.Version, Version)
	}
	if f.Kind != KindLR && f.Kind != KindMLP {
		return nil, fmt.Errorf("%w: kind %q, want %q or %q", ErrFormat, f.Kind, KindLR, KindMLP)
	}
	n := len(f.Features)
	if n == 0 {
		return nil, fmt.Errorf("%w: no features", ErrShape)
	}
	if f.Classes > 0 && n != 37+2*f.Classes {
		return nil, fmt.Errorf("%w: %d features but classes %d implies 37+2·%d = %d", ErrShape, n, f.Classes, f.Classes, 37+2*f.Classes)
	}
	if len(f.Mean) != n || len(f.Std) != n {
		return nil, fmt.Errorf("%w: %d features but mean has %d and std %d values", ErrShape, n, len(f.Mean), len(f.Std))
	}
	for i := range n {
		if !finite(f.Mean[i]) || !finite(f.Std[i]) || f.Std[i] <= 0 {
			return nil, fmt.Errorf("%w: feature %s has mean %v, std %v (std must be finite and > 0)", ErrValue, f.Features[i], f.Mean[i], f.Std[i])
		}
	}
	if len(f.Layers) == 0 {
		return nil, fmt.Errorf("%w: no layers", ErrShape)
	}
	if f.Kind == KindLR && len(f.Layers) != 1 {
		return nil, fmt.Errorf("%w: kind lr needs exactly 1 layer, file has %d", ErrShape, len(f.Layers))
	}
	if f.ModelSHA256 != "" {
		if !isSHA256(f.ModelSHA256) {
			return nil, fmt.Errorf("%w: model_sha256 %q is not 64 hex digits", ErrValue, f.ModelSHA256)
		}
		f.ModelSHA256 = strings.ToLower(f.ModelSHA256)
	}
	if f.MapSize != nil && (len(f.MapSize) != 2 || f.MapSize[0] <= 0 || f.MapSize[1] <= 0) {
		return nil, fmt.Errorf("%w: map_size %v is not [W, H] with W, H > 0", ErrValue, f.MapSize)
	}
	thr := DefaultThreshold
	if f.Threshold != nil {
		thr = *f.Threshold
		if !(thr > 0 && thr <= 1) { // 0 would remove every component
			return nil, fmt.Errorf("%w: threshold %v outside (0, 1]", ErrValue, thr)
		}
	}
	m := &Model{f: f, thr: thr, in: n, dims: []int{n}}
	prev := n
	for k, l := range f.Layers {
		out := len(l.W)
		if out == 0 || len(l.B) != out {
			return nil, fmt.Errorf("%w: layer %d has %d weight rows and %d biases", ErrShape, k, out, len(l.B))
		}
		if k == len(f.Layers)-1 && out != 1 {
			return nil, fmt.Errorf("%w: last layer has %d outputs, want 1", ErrShape, out)
		}
		flat := make([]float64, 0, out*prev)
		for r, row := range l.W {
			if len(row) != prev {
				return nil, fmt.Errorf("%w: layer %d row %d has %d weights, want %d (the previous width)", ErrShape, k, r, len(row), prev)
			}
			for _, v := range row {
				if !finite(v) {
					return nil, fmt.Errorf("%w: layer %d row %d holds %v", ErrValue, k, r, v)
				}
			}
			flat = append(flat, row...)
		}
		for _, v := range l.B {
			if !finite(v) {
				return nil, fmt.Errorf("%w: layer %d bias holds %v", ErrValue, k, v)
			}
		}
		m.w = append(m.w, flat)
		m.b = append(m.b, append([]float64(nil), l.B...))
		m.dims = append(m.dims, out)
		m.maxW = max(m.maxW, out, prev)
		prev = out
	}
	m.f.Layers = copyLayers(f.Layers)
	m.f.Features = append([]string(nil), f.Features...)
	m.f.Mean = append([]float64(nil), f.Mean...)
	m.f.Std = append([]float64(nil), f.Std...)
	m.f.MapSize = cloneInts(f.MapSize)
	m.f.Threshold = &thr
	m.scratch.New = func() any { s := make([]float64, 2*m.maxW); return &s }
	return m, nil
}

// Kind returns "lr" or "mlp".
func (m *Model) Kind() string { return m.f.Kind }

// Threshold returns the decision threshold: a component is removed when P(FP) > Threshold.
func (m *Model) Threshold() float64 { return m.thr }

// Features returns the feature names in input order (a copy).
func (m *Model) Features() []string { return append([]string(nil), m.f.Features...) }

// Classes returns the class count C the features were made for (0 when the file does not say).
func (m *Model) Classes() int { return m.f.Classes }

// NumParams returns the number of weights and biases (17,176 for the paper's MLP on 75 features).
func (m *Model) NumParams() int {
	n := 0
	for k := range m.w {
		n += len(m.w[k]) + len(m.b[k])
	}
	return n
}

// Trained returns the provenance object as stored (raw JSON; nil when absent).
func (m *Model) Trained() json.RawMessage { return m.f.Trained }

// File returns a deep copy of the document (for editing, e.g. the threshold, then New).
func (m *Model) File() File {
	f := m.f
	f.Layers = copyLayers(m.f.Layers)
	f.Features = append([]string(nil), m.f.Features...)
	f.Mean = append([]float64(nil), m.f.Mean...)
	f.Std = append([]float64(nil), m.f.Std...)
	f.MapSize = cloneInts(m.f.MapSize)
	t := m.thr
	f.Threshold = &t
	return f
}

// Marshal encodes the model as its JSON document: one line per field and per weight row, so that files
// stay readable and diff well.
func (m *Model) Marshal() ([]byte, error) {
	var b bytes.Buffer
	field := func(name string, v any, last bool) error {
		j, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(&b, " %q: %s", name, j)
		if !last {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
		return nil
	}
	b.WriteString("{\n")
	f := m.f
	for _, kv := range []struct {
		k string
		v any
	}{{"format", f.Format}, {"version", f.Version}, {"kind", f.Kind}, {"classes", f.Classes}, {"threshold", m.thr},
		{"model_sha256", f.ModelSHA256}, {"map_size", f.MapSize},
		{"features", f.Features}, {"mean", f.Mean}, {"std", f.Std}} {
		if (kv.k == "model_sha256" && f.ModelSHA256 == "") || (kv.k == "map_size" && f.MapSize == nil) {
			continue // optional: not recorded
		}
		if err := field(kv.k, kv.v, false); err != nil {
			return nil, err
		}
	}
	b.WriteString(" \"layers\": [\n")
	for k, l := range f.Layers {
		b.WriteString("  {\"w\": [\n")
		for r, row := range l.W {
			j, err := json.Marshal(row)
			if err != nil {
				return nil, fmt.Errorf("layer %d: %w", k, err)
			}
			b.WriteString("   ")
			b.Write(j)
			if r < len(l.W)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		j, err := json.Marshal(l.B)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", k, err)
		}
		fmt.Fprintf(&b, "  ], \"b\": %s}", j)
		if k < len(f.Layers)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(" ]")
	if len(f.Trained) > 0 {
		var c bytes.Buffer
		if err := json.Compact(&c, f.Trained); err != nil {
			return nil, fmt.Errorf("trained: %w", err)
		}
		b.WriteString(",\n \"trained\": ")
		b.Write(c.Bytes())
	}
	b.WriteString("\n}\n")
	return b.Bytes(), nil
}

// Check compares the model's features with the pipeline's metric names and names the first difference.
func (m *Model) Check(names []string) error {
	if len(names) != len(m.f.Features) {
		return fmt.Errorf("%w: the classifier has %d features (%s), the pipeline computes %d (%s); train one for this model with 'metaood calib train'",
			ErrFeatures, len(m.f.Features), classesText(len(m.f.Features)), len(names), classesText(len(names)))
	}
	for i, n := range names {
		if m.f.Features[i] != n {
			return fmt.Errorf("%w: feature %d is %q in the classifier but %q in the pipeline", ErrFeatures, i, m.f.Features[i], n)
		}
	}
	return nil
}

func cloneInts(s []int) []int {
	if s == nil {
		return nil
	}
	return append([]int(nil), s...)
}

func classesText(n int) string {
	if n < 39 || (n-37)%2 != 0 {
		return "not 37+2C for any class count"
	}
	return fmt.Sprintf("C = %d classes", (n-37)/2)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func copyLayers(ls []Layer) []Layer {
	out := make([]Layer, len(ls))
	for k, l := range ls {
		out[k].B = append([]float64(nil), l.B...)
		out[k].W = make([][]float64, len(l.W))
		for r, row := range l.W {
			out[k].W[r] = append([]float64(nil), row...)
		}
	}
	return out
}

// Decider is a meta classifier with its decision threshold (what a run applies).
type Decider interface {
	PredictBatch(x []float64, n int, out []float64)
	Threshold() float64
}

// WithThreshold returns m deciding at t instead of the file's threshold; t ≤ 0 returns m.
func (m *Model) WithThreshold(t float64) Decider {
	if t <= 0 {
		return m
	}
	return thresholdOverride{m, t}
}

type thresholdOverride struct {
	*Model
	thr float64
}

func (t thresholdOverride) Threshold() float64 { return t.thr }
