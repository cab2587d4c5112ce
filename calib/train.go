package calib

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"time"

	"github.com/metaood/metaood/metaclf"
)

// TrainOptions configure Train.
type TrainOptions struct {
	Model     string  // "lr" or "mlp"
	Threshold float64 // stored decision threshold; default 0.5
	LR        LROptions
	MLP       MLPOptions
	Source    string         // where the data came from, for the provenance record
	Extra     map[string]any // more provenance fields
	// ModelSHA256 and MapSize are what the classifier records it was trained for (metaclf
	// "model_sha256", "map_size"); "" and nil leave them out.
	ModelSHA256 string
	MapSize     []int
}

// Train fits a classifier on all rows of d, standardized over all rows, and returns the classifier file.
func Train(d *Dataset, opt TrainOptions) (*metaclf.Model, error) {
	p := d.P()
	sc := FitScaler(d.X, p, nil)
	z := sc.Apply(d.X)
	thr := opt.Threshold
	if thr == 0 {
		thr = metaclf.DefaultThreshold
	}
	f := metaclf.File{Format: metaclf.FormatTag, Version: metaclf.Version, Kind: opt.Model,
		Features: d.Names, Classes: d.Classes(), Mean: sc.Mean, Std: sc.Std, Threshold: &thr,
		ModelSHA256: opt.ModelSHA256, MapSize: opt.MapSize}
	prov := map[string]any{"by": "metaood calib train", "at": time.Now().UTC().Format(time.RFC3339),
		"data": opt.Source, "n_components": d.N(), "n_false_positive": d.CountFP()}
	switch opt.Model {
	case ModelLR:
		o := opt.LR.withDefaults()
		w, err := FitLR(z, p, d.Y, nil, o)
		if err != nil {
			return nil, err
		}
		f.Layers = []metaclf.Layer{{W: [][]float64{w[:p]}, B: []float64{w[p]}}}
		prov["solver"] = "Newton on liblinear's objective (intercept penalised), C = " + strconv.FormatFloat(o.C, 'g', -1, 64)
	case ModelMLP:
		o := opt.MLP.withDefaults(p)
		if o.Workers == 0 {
			o.Workers = runtime.NumCPU() // one network: split its batches over the cores
		}
		m, err := FitMLP(z, p, d.Y, nil, o)
		if err != nil {
			return nil, err
		}
		ws, bs := m.Layers()
		for k := range ws {
			f.Layers = append(f.Layers, metaclf.Layer{W: ws[k], B: bs[k]})
		}
		prov["optimizer"] = fmt.Sprintf("Adam lr %g, coupled L2 %g, %d epochs, batch %d (drop_last), BCE, seed %d, %d workers",
			o.LR, o.WeightDecay, o.Epochs, o.Batch, o.Seed, o.Workers)
		prov["hidden"] = o.Hidden
	default:
		return nil, fmt.Errorf("%w: model %q: use lr or mlp", ErrOption, opt.Model)
	}
	for k, v := range opt.Extra {
		prov[k] = v
	}
	raw, err := json.Marshal(prov)
	if err != nil {
		return nil, err
	}
	f.Trained = raw
	return metaclf.New(f)
}

// RoundFile rounds every float of f to digits significant digits (to keep shipped files small).
func RoundFile(f *metaclf.File, digits int) {
	r := func(v float64) float64 {
		if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return v
		}
		x, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', digits, 64), 64)
		return x
	}
	for i := range f.Mean {
		f.Mean[i] = r(f.Mean[i])
		f.Std[i] = r(f.Std[i])
	}
	for _, l := range f.Layers {
		for _, row := range l.W {
			for j := range row {
				row[j] = r(row[j])
			}
		}
		for j := range l.B {
			l.B[j] = r(l.B[j])
		}
	}
}
