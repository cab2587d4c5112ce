package calib

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Model kinds.
const (
	ModelLR  = "lr"
	ModelMLP = "mlp"
)

// Standardization modes.
const (
	StdGlobal = "global" // z-score over all rows once, before splitting (the paper, docs/METHOD.md §5)
	StdFold   = "fold"   // z-score fitted on each fold's training rows only (honest)
)

// CVSpec says how rows are split into folds.
type CVSpec struct {
	LOO bool // leave one component out (the paper, docs/METHOD.md §5)
	K   int  // with !LOO: K folds of whole images; 0 = leave one image out
}

// ParseCV reads "loo", "images" (leave one image out) or "images:K".
func ParseCV(s string) (CVSpec, error) {
	switch {
	case s == "loo":
		return CVSpec{LOO: true}, nil
	case s == "images" || s == "loio":
		return CVSpec{}, nil
	case strings.HasPrefix(s, "images:"):
		k, err := strconv.Atoi(s[len("images:"):])
		if err != nil || k < 2 {
			return CVSpec{}, fmt.Errorf("%w: cv %q: K in images:K must be an integer ≥ 2", ErrOption, s)
		}
		return CVSpec{K: k}, nil
	}
	return CVSpec{}, fmt.Errorf("%w: cv %q: use loo, images (leave one image out) or images:K", ErrOption, s)
}

// String is the inverse of ParseCV.
func (s CVSpec) String() string {
	switch {
	case s.LOO:
		return "loo"
	case s.K == 0:
		return "images"
	}
	return "images:" + strconv.Itoa(s.K)
}

// CVOptions configure CrossValidate.
type CVOptions struct {
	Model       string // "lr" or "mlp"
	CV          CVSpec
	Standardize string  // "global" or "fold"; default global for LOO (paper), fold for image folds (honest)
	Threshold   float64 // remove when P(FP) > Threshold; default 0.5
	LR          LROptions
	MLP         MLPOptions // MLP.Seed + fold index seeds each fold's network
	Workers     int        // default runtime.NumCPU()
	Seed        uint64     // assignment of images to K folds
	// Progress, when set, is called after each finished fold (from worker goroutines, serialized).
	Progress func(done, total int)
}

// CVResult is the out-of-fold evaluation.
type CVResult struct {
	Model       string    `json:"model"`
	CV          string    `json:"cv"`
	Standardize string    `json:"standardize"`
	Folds       int       `json:"folds"`
	FoldsDone   int       `json:"folds_done"`
	Complete    bool      `json:"complete"`
	AUROC       float64   `json:"auroc"`
	AUPRC       float64   `json:"auprc"`
	Accuracy    float64   `json:"accuracy"`
	Threshold   float64   `json:"threshold"`
	Seconds     float64   `json:"seconds"`
	Evaluated   int       `json:"n_evaluated"`
	Prob        []float64 `json:"-"` // out-of-fold P(FP) per row; NaN where its fold did not finish
	Counts
}

// Folds returns the test rows of each fold.
func Folds(d *Dataset, spec CVSpec, seed uint64) ([][]int, error) {
	if spec.LOO {
		f := make([][]int, d.N())
		for i := range f {
			f[i] = []int{i}
		}
		return f, nil
	}
	g, ng, err := d.Groups()
	if err != nil {
		return nil, err
	}
	k := spec.K
	if k == 0 {
		k = ng
	}
	if k > ng {
		return nil, fmt.Errorf("%w: images:%d asks for more folds than the %d images in the dataset", ErrOption, k, ng)
	}
	order := rand.New(rand.NewPCG(seed, 1)).Perm(ng)
	if spec.K == 0 {
		order = allRows(ng) // leave-one-image-out: fold i is image i, in file order
	}
	foldOf := make([]int, ng)
	for pos, gi := range order {
		foldOf[gi] = pos % k
	}
	f := make([][]int, k)
	for i, gi := range g {
		f[foldOf[gi]] = append(f[foldOf[gi]], i)
	}
	return f, nil
}

// CrossValidate trains one classifier per fold and scores the held-out rows. When ctx ends it stops
// taking folds, waits for running ones and returns the finished folds' result with ErrInterrupted.
func CrossValidate(ctx context.Context, d *Dataset, opt CVOptions) (*CVResult, error) {
	start := time.Now()
	if opt.Model != ModelLR && opt.Model != ModelMLP {
		return nil, fmt.Errorf("%w: model %q: use lr or mlp", ErrOption, opt.Model)
	}
	if opt.Standardize == "" {
		opt.Standardize = StdFold
		if opt.CV.LOO {
			opt.Standardize = StdGlobal
		}
	}
	if opt.Standardize != StdGlobal && opt.Standardize != StdFold {
		return nil, fmt.Errorf("%w: standardize %q: use global or fold", ErrOption, opt.Standardize)
	}
	if opt.Threshold == 0 {
		opt.Threshold = 0.5
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	folds, err := Folds(d, opt.CV, opt.Seed)
	if err != nil {
		return nil, err
	}
	if err := checkTwoClasses(d.Y, allRows(d.N())); err != nil {
		return nil, err
	}
	p := d.P()
	res := &CVResult{Model: opt.Model, CV: opt.CV.String(), Standardize: opt.Standardize, Folds: len(folds), Threshold: opt.Threshold}
	res.Prob = make([]float64, d.N())
	for i := range res.Prob {
		res.Prob[i] = math.NaN()
	}
	var zg []float64
	if opt.Standardize == StdGlobal {
		zg = FitScaler(d.X, p, nil).Apply(d.X)
	}
	var warm *lrWarm
	if opt.Model == ModelLR && zg != nil {
		if warm, err = newLRWarm(zg, p, d.Y, opt.LR); err != nil {
			return nil, err
		}
	}
	var mu sync.Mutex
	next := make(chan int)
	var wg sync.WaitGroup
	var firstErr error
	for range workers {
		wg.Go(func() {
			for fi := range next {
				prob, err := fitFold(d, zg, warm, folds[fi], fi, opt)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("fold %d: %w", fi, err)
				}
				if err == nil {
					for k, i := range folds[fi] {
						res.Prob[i] = prob[k]
					}
					res.FoldsDone++
					if opt.Progress != nil {
						opt.Progress(res.FoldsDone, len(folds))
					}
				}
				mu.Unlock()
			}
		})
	}
feed:
	for fi := range folds {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		select {
		case next <- fi:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	res.Complete = res.FoldsDone == len(folds)
	res.score(d.Y)
	res.Seconds = time.Since(start).Seconds()
	if !res.Complete {
		return res, fmt.Errorf("%w: %d of %d folds finished", ErrInterrupted, res.FoldsDone, len(folds))
	}
	return res, nil
}

// score computes the metrics over the rows whose folds finished.
func (r *CVResult) score(y []float64) {
	var ys, ps []float64
	for i, p := range r.Prob {
		if !math.IsNaN(p) {
			ys = append(ys, y[i])
			ps = append(ps, p)
		}
	}
	r.Evaluated = len(ys)
	if len(ys) == 0 {
		r.AUROC, r.AUPRC, r.Accuracy = math.NaN(), math.NaN(), math.NaN()
		return
	}
	r.AUROC = AUROC(ys, ps)
	r.AUPRC = AveragePrecision(ys, ps)
	r.Accuracy = Accuracy(ys, ps, r.Threshold)
	r.Counts = Count(ys, ps, r.Threshold)
}

// fitFold trains on all rows but test and returns P(FP) of the test rows.
func fitFold(d *Dataset, zg []float64, warm *lrWarm, test []int, fi int, opt CVOptions) ([]float64, error) {
	p := d.P()
	train := complement(d.N(), test)
	z := zg
	if z == nil {
		z = FitScaler(d.X, p, train).Apply(d.X)
	}
	out := make([]float64, len(test))
	switch opt.Model {
	case ModelLR:
		var w []float64
		var err error
		if warm != nil {
			w, err = warm.fold(train, test)
		} else {
			w, err = FitLR(z, p, d.Y, train, opt.LR)
		}
		if err != nil {
			return nil, err
		}
		for k, i := range test {
			out[k] = LRProb(w, z[i*p:(i+1)*p])
		}
	case ModelMLP:
		mo := opt.MLP
		mo.Seed += uint64(fi)
		m, err := FitMLP(z, p, d.Y, train, mo)
		if err != nil {
			return nil, err
		}
		pr := m.NewPredictor()
		for k, i := range test {
			out[k] = pr.Prob(z[i*p : (i+1)*p])
		}
	}
	return out, nil
}

func complement(n int, test []int) []int {
	in := make([]bool, n)
	for _, i := range test {
		in[i] = true
	}
	tr := make([]int, 0, n-len(test))
	for i := range n {
		if !in[i] {
			tr = append(tr, i)
		}
	}
	return tr
}

// MarshalJSON writes NaN metrics (no finished fold, or one class only) as null: JSON has no NaN.
func (r CVResult) MarshalJSON() ([]byte, error) {
	type plain CVResult
	num := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	return json.Marshal(struct {
		plain
		AUROC    *float64 `json:"auroc"`
		AUPRC    *float64 `json:"auprc"`
		Accuracy *float64 `json:"accuracy"`
	}{plain(r), num(r.AUROC), num(r.AUPRC), num(r.Accuracy)})
}
