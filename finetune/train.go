package finetune

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
)

// TrainConfig sets up Train. Zero values take the defaults in brackets.
type TrainConfig struct {
	Classes int     // class channels in the loss (the model's first K) [all of the tail's]
	Lambda  float64 // weight of the uniform-target term [0.9]
	LR      float64 // Adam learning rate [1e-3]
	Epochs  int     // passes over the images [4]
	Batch   int     // images per step [4]
	Workers int     // images processed in parallel [1]
	Seed    uint64  // shuffling
	// FirstEpoch resumes a run: epochs before it are skipped (the tail holds their weights).
	FirstEpoch int
	// Progress, if set, is called after each step.
	Progress func(epoch, step, steps int, loss float64)
	// EpochDone, if set, is called after each epoch (a checkpoint); an error stops training.
	EpochDone func(epoch int, loss float64) error
}

func (c *TrainConfig) fill(t *Tail) error {
	if c.Classes == 0 {
		c.Classes = t.Out
	}
	if c.Classes < 2 || c.Classes > t.Out {
		return fmt.Errorf("%w: %d classes in the loss, but the tail has %d output channels", ErrConfig, c.Classes, t.Out)
	}
	if c.Lambda == 0 {
		c.Lambda = 0.9
	}
	if !(c.Lambda > 0 && c.Lambda < 1) {
		return fmt.Errorf("%w: lambda %g: want a weight in (0, 1), e.g. 0.9", ErrConfig, c.Lambda)
	}
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if !(c.LR > 0 && c.LR < 1) {
		return fmt.Errorf("%w: learning rate %g: want a value in (0, 1), e.g. 1e-3", ErrConfig, c.LR)
	}
	if c.Epochs == 0 {
		c.Epochs = 4
	}
	if c.Batch == 0 {
		c.Batch = 4
	}
	if c.Workers <= 0 {
		c.Workers = 1
	}
	if c.Epochs < 0 || c.Batch < 0 {
		return fmt.Errorf("%w: %d epochs, batch %d: want positive counts", ErrConfig, c.Epochs, c.Batch)
	}
	return nil
}

// EpochLoss is the mean loss per labelled pixel of one epoch.
type EpochLoss struct {
	Epoch int
	Loss  float64
}

// Train fits the tail's trained layers to the cached images keys. It returns each epoch's mean
// loss. A cancelled ctx stops after the current step with ctx's error; the tail then holds the
// weights of the last finished step and EpochDone was called for every finished epoch.
func Train(ctx context.Context, t *Tail, cache *Cache, keys []string, cfg TrainConfig) ([]EpochLoss, error) {
	if err := cfg.fill(t); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no training images", ErrConfig)
	}
	opt := newAdam(t, cfg.LR)
	total := t.newGrads()
	type worker struct {
		g       *grads
		a       activations
		feat, d []float32
		scratch [2][]float32
	}
	ws := make([]*worker, cfg.Workers)
	for i := range ws {
		ws[i] = &worker{g: t.newGrads()}
	}
	order := make([]int, len(keys))
	var hist []EpochLoss
	steps := (len(keys) + cfg.Batch - 1) / cfg.Batch
	for ep := cfg.FirstEpoch; ep < cfg.Epochs; ep++ {
		for i := range order {
			order[i] = i
		}
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(ep)))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var epLoss float64
		var epCount int
		for s := range steps {
			if err := ctx.Err(); err != nil {
				return hist, err
			}
			batch := order[s*cfg.Batch : min(len(order), (s+1)*cfg.Batch)]
			losses := make([]float64, len(batch))
			counts := make([]int, len(batch))
			errs := make([]error, len(batch))
			var wg sync.WaitGroup
			next := make(chan int)
			for _, w := range ws {
				w.g.zero()
				wg.Add(1)
				go func() {
					defer wg.Done()
					for bi := range next {
						key := keys[batch[bi]]
						feat, labels, ch, h, wd, err := cache.Load(key, w.feat)
						if err == nil && ch != t.In {
							err = fmt.Errorf("%w: cached %s has %d channels, the tail reads %d; delete the cache", ErrShape, key, ch, t.In)
						}
						if err != nil {
							errs[bi] = err
							continue
						}
						w.feat = feat
						scores := t.forward(feat, h, wd, &w.a)
						if cap(w.d) < len(scores) {
							w.d = make([]float32, len(scores))
						}
						d := w.d[:len(scores)]
						n := labelled(labels, cfg.Classes)
						if n == 0 {
							continue
						}
						losses[bi], counts[bi] = loss(scores, labels, cfg.Classes, cfg.Lambda, float64(n*len(batch)), d)
						t.backward(&w.a, d, w.g, &w.scratch)
					}
				}()
			}
			for bi := range batch {
				next <- bi
			}
			close(next)
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					return hist, err
				}
			}
			total.zero()
			for _, w := range ws {
				total.add(w.g)
			}
			opt.step(t, total)
			var bl float64
			var bc int
			for i := range batch {
				bl += losses[i]
				bc += counts[i]
			}
			epLoss += bl
			epCount += bc
			if cfg.Progress != nil {
				cfg.Progress(ep, s+1, steps, bl/float64(max(bc, 1)))
			}
		}
		hist = append(hist, EpochLoss{Epoch: ep, Loss: epLoss / float64(max(epCount, 1))})
		if cfg.EpochDone != nil {
			if err := cfg.EpochDone(ep, hist[len(hist)-1].Loss); err != nil {
				return hist, err
			}
		}
	}
	return hist, nil
}

// labelled counts the pixels that take part in the loss.
func labelled(labels []uint8, k int) int {
	n := 0
	for _, y := range labels {
		if int(y) < k || y == LabelProxy {
			n++
		}
	}
	return n
}

// PseudoLabels fills the LabelIgnore pixels of labels (h×w, at feature resolution) with the
// argmax over the first k class scores of the tail as it is now (the original network's own
// prediction: the known classes are trained to stay what they were).
func (t *Tail) PseudoLabels(feat []float32, h, w, k int, labels []uint8) {
	var a activations
	FillPseudoLabels(t.forward(feat, h, w, &a), h*w, k, labels)
}

// FillPseudoLabels gives every LabelIgnore pixel of labels the argmax over the first k of the
// planar class scores (k×n).
func FillPseudoLabels(scores []float32, n, k int, labels []uint8) {
	for j := range n {
		if labels[j] != LabelIgnore {
			continue
		}
		best, bv := 0, scores[j]
		for c := 1; c < k; c++ {
			if v := scores[c*n+j]; v > bv {
				best, bv = c, v
			}
		}
		labels[j] = uint8(best)
	}
}

// DownsampleLabels maps labels of a w×h image to the feature grid fw×fh the way the tail's
// align_corners upsampling maps them back: feature pixel (x, y) takes the label at
// (round(x·(w−1)/(fw−1)), round(y·(h−1)/(fh−1))).
func DownsampleLabels(labels []uint8, w, h, fw, fh int) []uint8 {
	out := make([]uint8, fw*fh)
	for y := range fh {
		sy := 0
		if fh > 1 {
			sy = (y*(h-1) + (fh-1)/2) / (fh - 1)
		}
		for x := range fw {
			sx := 0
			if fw > 1 {
				sx = (x*(w-1) + (fw-1)/2) / (fw - 1)
			}
			out[y*fw+x] = labels[sy*w+sx]
		}
	}
	return out
}
