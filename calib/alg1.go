package calib

import (
	"context"
	"fmt"
)

// LARSOrder standardizes d over all rows and runs LARS with target iou0, returning the path.
// This is the natural reading of the paper's ranking (docs/METHOD.md §5: variant "lar", ranking on all data).
func LARSOrder(d *Dataset) (*LARSResult, error) {
	z := FitScaler(d.X, d.P(), nil).Apply(d.X)
	return LARS(z, d.P(), d.Y)
}

// Alg1Point is one step of Algorithm 1: both classifiers on the top-N metrics of the LARS order.
type Alg1Point struct {
	N       int         `json:"n_metrics"`
	Added   string      `json:"added"` // the metric that entered at this N
	Results []*CVResult `json:"results"`
}

// Algorithm1 trains and cross-validates each model on the top-N features of order for each N in ns
// (the follow-up paper's Algorithm 1). progress, when set, is called after each (N, model) evaluation.
// On interruption it returns the finished points with ErrInterrupted.
func Algorithm1(ctx context.Context, d *Dataset, order []int, ns []int, models []string, opt CVOptions,
	progress func(n int, r *CVResult)) ([]Alg1Point, error) {
	var pts []Alg1Point
	for _, n := range ns {
		if n < 1 || n > len(order) {
			return pts, fmt.Errorf("%w: Algorithm 1 size %d outside 1…%d", ErrOption, n, len(order))
		}
		sub := d.Select(order[:n])
		pt := Alg1Point{N: n, Added: d.Names[order[n-1]]}
		for _, m := range models {
			o := opt
			o.Model = m
			o.Progress = nil
			if o.MLP.Hidden == nil && m == ModelMLP {
				// Layer sizes follow N_m, as in the paper (75→75→75→75→1 for all 75 metrics).
				o.MLP.Hidden = []int{n, n, n}
			}
			r, err := CrossValidate(ctx, sub, o)
			if err != nil {
				return pts, err
			}
			pt.Results = append(pt.Results, r)
			if progress != nil {
				progress(n, r)
			}
		}
		pts = append(pts, pt)
	}
	return pts, nil
}
