package segmodel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// TrainConfig sets up Train. A zero numeric field means its default (DefaultTrainConfig),
// except Seed and ValidFrac, which are used as given; a nil Logf logs nothing.
type TrainConfig struct {
	Seed      uint64  // initial weights, pixel draws and batch order
	H1, H2    int     // hidden widths
	PerImage  int     // labelled pixels drawn per image
	Epochs    int     // passes over the drawn pixels
	Batch     int     // pixels per Adam step
	LR        float64 // initial Adam step size; cosine-decayed to LR/100
	Alpha     float64 // entropy-maximisation weight: (1−α)·CE on known, α·CE(uniform) on LabelUniform pixels
	Workers   int     // goroutines for rendering and gradients
	Logf      func(format string, args ...any)
	ValidFrac float64 // share of drawn pixels held back to report accuracy during training
}

// DefaultTrainConfig returns the settings the embedded model was trained with.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{Seed: 1, H1: 16, H2: 16, PerImage: 3000, Epochs: 6, Batch: 256, LR: 3e-3, Alpha: 0.9, Workers: 2, ValidFrac: 0.05}
}

func (c *TrainConfig) fill() error {
	d := DefaultTrainConfig()
	if c.H1 == 0 {
		c.H1 = d.H1
	}
	if c.H2 == 0 {
		c.H2 = d.H2
	}
	if c.PerImage == 0 {
		c.PerImage = d.PerImage
	}
	if c.Epochs == 0 {
		c.Epochs = d.Epochs
	}
	if c.Batch == 0 {
		c.Batch = d.Batch
	}
	if c.LR == 0 {
		c.LR = d.LR
	}
	if c.Alpha == 0 {
		c.Alpha = d.Alpha
	}
	if c.Workers == 0 {
		c.Workers = d.Workers
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	switch {
	case c.H1 < 0 || c.H2 < 0 || c.PerImage < 0 || c.Epochs < 0 || c.Batch < 0 || c.Workers < 0:
		return fmt.Errorf("%w: sizes and counts must be positive: %+v", ErrConfig, *c)
	case !(c.Alpha > 0 && c.Alpha < 1):
		return fmt.Errorf("%w: alpha %g must be in (0,1)", ErrConfig, c.Alpha)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("%w: learning rate %g must be positive", ErrConfig, c.LR)
	case !(c.ValidFrac >= 0 && c.ValidFrac < 0.5):
		return fmt.Errorf("%w: validation share %g must be in [0,0.5)", ErrConfig, c.ValidFrac)
	}
	return nil
}

// gradChunks is how many goroutines share each batch's gradient (the machine has 2 cores).
const gradChunks = 2

// TrainStats summarises a training run.
type TrainStats struct {
	Samples, Uniform int     // drawn pixels, of which LabelUniform
	Loss             float64 // mean loss of the last epoch
	ValidAcc         float64 // accuracy on held-back known pixels (same images: an optimistic check)
}

// Train fits a Net to ds: a per-pixel MLP on the fixed features, trained with Adam on the
// entropy-maximisation loss (docs/METHOD.md §6): (1−α)·CE(y,p) on known pixels, α·CE(uniform,p) on
// LabelUniform pixels. Inputs are standardised while training and the scaling is folded into the
// first layer at the end, so the returned Net takes raw features. Deterministic for a given
// cfg.Seed and dataset, whatever the number of workers.
func Train(ds Dataset, cfg TrainConfig) (*Net, TrainStats, error) {
	var st TrainStats
	if err := cfg.fill(); err != nil {
		return nil, st, err
	}
	if ds.Len() == 0 {
		return nil, st, fmt.Errorf("%w: empty dataset", ErrConfig)
	}
	s, err := sampleDataset(ds, cfg.PerImage, cfg.Seed, cfg.Workers)
	if err != nil {
		return nil, st, err
	}
	n := s.len()
	if n < cfg.Batch {
		return nil, st, fmt.Errorf("%w: only %d labelled pixels drawn, fewer than one batch (%d)", ErrConfig, n, cfg.Batch)
	}
	st.Samples = n
	for _, y := range s.y {
		if y == LabelUniform {
			st.Uniform++
		}
	}
	mean, std := standardise(s)

	rng := rand.New(rand.NewPCG(cfg.Seed, 0xba7c))
	order := rng.Perm(n)
	nValid := int(cfg.ValidFrac * float64(n))
	valid, trainIdx := order[:nValid], order[nValid:]

	net := NewNet(cfg.H1, cfg.H2, cfg.Seed)
	opt := newAdam(net)
	// A fixed number of gradient chunks, summed in a fixed order: the result does not depend on Workers.
	const workers = gradChunks
	grads := make([]*Net, workers)
	for w := range grads {
		grads[w] = zeroLike(net)
	}
	losses := make([]float64, workers)
	steps := cfg.Epochs * (len(trainIdx) / cfg.Batch)
	step := 0
	cfg.Logf("segmodel: training on %d pixels (%d uniform-target), %d epochs, %d steps", len(trainIdx), st.Uniform, cfg.Epochs, steps)
	for ep := range cfg.Epochs {
		rng.Shuffle(len(trainIdx), func(i, j int) { trainIdx[i], trainIdx[j] = trainIdx[j], trainIdx[i] })
		var epLoss float64
		for b := 0; b+cfg.Batch <= len(trainIdx); b += cfg.Batch {
			batch := trainIdx[b : b+cfg.Batch]
			var wg sync.WaitGroup
			chunk := (len(batch) + workers - 1) / workers
			for w := range workers {
				lo, hi := min(w*chunk, len(batch)), min((w+1)*chunk, len(batch))
				wg.Add(1)
				go func() {
					defer wg.Done()
					losses[w] = backprop(net, grads[w], s, batch[lo:hi], cfg.Alpha)
				}()
			}
			wg.Wait()
			for w := 1; w < workers; w++ {
				addInto(grads[0], grads[w])
				losses[0] += losses[w]
			}
			epLoss += losses[0]
			lr := cfg.LR * (0.01 + 0.99*0.5*(1+math.Cos(math.Pi*float64(step)/float64(steps))))
			opt.step(net, grads[0], lr, 1/float64(len(batch)))
			step++
		}
		st.Loss = epLoss / float64(len(trainIdx)/cfg.Batch*cfg.Batch)
		st.ValidAcc = accuracy(net, s, valid)
		cfg.Logf("segmodel: epoch %d/%d loss %.4f held-back pixel accuracy %.4f", ep+1, cfg.Epochs, st.Loss, st.ValidAcc)
	}
	fold(net, mean, std)
	return net, st, nil
}

// standardise scales the sample features in place to zero mean and unit variance, returning
// the per-feature mean and standard deviation it used (std 1 for constant features).
func standardise(s *samples) (mean, std []float64) {
	n := s.len()
	mean, std = make([]float64, NumFeatures), make([]float64, NumFeatures)
	for i := range n {
		for k, v := range s.x[i*NumFeatures : (i+1)*NumFeatures] {
			mean[k] += float64(v)
		}
	}
	for k := range mean {
		mean[k] /= float64(n)
	}
	for i := range n {
		for k, v := range s.x[i*NumFeatures : (i+1)*NumFeatures] {
			d := float64(v) - mean[k]
			std[k] += d * d
		}
	}
	for k := range std {
		std[k] = math.Sqrt(std[k] / float64(n))
		if std[k] < 1e-6 {
			std[k] = 1
		}
	}
	for i := range n {
		x := s.x[i*NumFeatures : (i+1)*NumFeatures]
		for k := range x {
			x[k] = float32((float64(x[k]) - mean[k]) / std[k])
		}
	}
	return mean, std
}

// fold rewrites the first layer so that it takes raw features: W1·((x−μ)/σ)+b1 = (W1/σ)·x + (b1 − Σ W1·μ/σ).
func fold(n *Net, mean, std []float64) {
	for o := range n.H1 {
		w := n.W1[o*NumFeatures : (o+1)*NumFeatures]
		b := float64(n.B1[o])
		for k := range w {
			wk := float64(w[k]) / std[k]
			b -= wk * mean[k]
			w[k] = float32(wk)
		}
		n.B1[o] = float32(b)
	}
}

// accuracy is the share of known-label samples in idx whose argmax logit is their label.
func accuracy(n *Net, s *samples, idx []int) float64 {
	sc := n.newScratch()
	out := make([]float32, Classes)
	var ok, total int
	for _, i := range idx {
		if s.y[i] >= Classes {
			continue
		}
		n.pixel(s.x[i*NumFeatures:(i+1)*NumFeatures], out, sc)
		if argmax(out) == int(s.y[i]) {
			ok++
		}
		total++
	}
	if total == 0 {
		return math.NaN()
	}
	return float64(ok) / float64(total)
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
