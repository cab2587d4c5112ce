package finetune

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// HeadConfig sets up TrainHead; zero values take the defaults in brackets.
type HeadConfig struct {
	Classes   int     // class channels in the loss [Out]
	Lambda    float64 // [0.9]
	LR        float64 // [1e-3]
	Epochs    int     // [10]
	Batch     int     // pixels per step [1024]
	Workers   int     // [1]
	Seed      uint64
	Progress  func(epoch, step, steps int, loss float64)
	EpochDone func(epoch int, loss float64) error
}

// TrainHead fits the head to the samples with Adam. A cancelled ctx stops after the current step.
func TrainHead(ctx context.Context, h *Head, s *Samples, cfg HeadConfig) ([]EpochLoss, error) {
	if cfg.Classes == 0 {
		cfg.Classes = h.Out
	}
	if cfg.Lambda == 0 {
		cfg.Lambda = 0.9
	}
	if cfg.LR == 0 {
		cfg.LR = 1e-3
	}
	if cfg.Epochs == 0 {
		cfg.Epochs = 10
	}
	if cfg.Batch == 0 {
		cfg.Batch = 1024
	}
	cfg.Workers = max(cfg.Workers, 1)
	if s.Dim != h.In || s.Out != h.Out {
		return nil, fmt.Errorf("%w: samples have %d features and %d scores, the head takes %d and gives %d", ErrShape, s.Dim, s.Out, h.In, h.Out)
	}
	if !(cfg.Lambda > 0 && cfg.Lambda < 1) || cfg.Classes < 2 || cfg.Classes > h.Out {
		return nil, fmt.Errorf("%w: lambda %g, %d classes", ErrConfig, cfg.Lambda, cfg.Classes)
	}
	n := s.Len()
	if n == 0 {
		return nil, fmt.Errorf("%w: no training pixels", ErrConfig)
	}
	var wsum float64
	for _, w := range s.Weight {
		wsum += float64(w)
	}
	meanW := wsum / float64(n)
	params := func(hd *Head) [][]float32 {
		return [][]float32{hd.W[0], hd.B[0], hd.W[1], hd.B[1], hd.W[2], hd.B[2]}
	}
	zero := func() *Head {
		z := &Head{In: h.In, Hidden: h.Hidden, Out: h.Out, Scale: h.Scale}
		for l := range 3 {
			z.W[l] = make([]float32, len(h.W[l]))
			z.B[l] = make([]float32, len(h.B[l]))
		}
		return z
	}
	m, v := zero(), zero()
	grads := make([]*Head, cfg.Workers)
	for i := range grads {
		grads[i] = zero()
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	steps := n / cfg.Batch
	if steps == 0 {
		steps = 1
	}
	t := 0
	var hist []EpochLoss
	for ep := range cfg.Epochs {
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(ep)))
		rng.Shuffle(n, func(a, b int) { order[a], order[b] = order[b], order[a] })
		var epLoss float64
		var epCount int
		for st := range steps {
			if err := ctx.Err(); err != nil {
				return hist, err
			}
			batch := order[st*cfg.Batch : min(n, (st+1)*cfg.Batch)]
			losses := make([]float64, cfg.Workers)
			counts := make([]int, cfg.Workers)
			var wg sync.WaitGroup
			for wi := range cfg.Workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					g := grads[wi]
					for _, p := range params(g) {
						clear(p)
					}
					part := batch[wi*len(batch)/cfg.Workers : (wi+1)*len(batch)/cfg.Workers]
					losses[wi], counts[wi] = h.backprop(g, s, part, cfg.Classes, cfg.Lambda, float64(len(batch))*meanW)
				}()
			}
			wg.Wait()
			for wi := 1; wi < cfg.Workers; wi++ {
				gp := params(grads[wi])
				for pi, p := range params(grads[0]) {
					for j := range p {
						p[j] += gp[pi][j]
					}
				}
			}
			t++
			c1, c2 := 1-math.Pow(0.9, float64(t)), 1-math.Pow(0.999, float64(t))
			mp, vp, gp := params(m), params(v), params(grads[0])
			for pi, p := range params(h) {
				for j := range p {
					g := float64(gp[pi][j])
					mj := 0.9*float64(mp[pi][j]) + 0.1*g
					vj := 0.999*float64(vp[pi][j]) + 0.001*g*g
					mp[pi][j], vp[pi][j] = float32(mj), float32(vj)
					p[j] -= float32(cfg.LR * (mj / c1) / (math.Sqrt(vj/c2) + 1e-8))
				}
			}
			var bl float64
			var bc int
			for wi := range cfg.Workers {
				bl += losses[wi]
				bc += counts[wi]
			}
			epLoss += bl
			epCount += bc
			if cfg.Progress != nil && (st%20 == 0 || st == steps-1) {
				cfg.Progress(ep, st+1, steps, bl/float64(max(bc, 1)))
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

// backprop adds to g the gradient of the loss over pixels idx (divided by norm) and returns the
// summed loss and the labelled pixel count.
func (h *Head) backprop(g *Head, s *Samples, idx []int, k int, lambda, norm float64) (float64, int) {
	z1, z2, o := make([]float32, h.Hidden), make([]float32, h.Hidden), make([]float32, h.outDim())
	scores := make([]float32, h.Out)
	d := make([]float32, h.Out)
	dOut := make([]float32, h.outDim())
	d2, d1 := make([]float32, h.Hidden), make([]float32, h.Hidden)
	var sum float64
	var count int
	for _, i := range idx {
		x := s.X[i*s.Dim : (i+1)*s.Dim]
		h.pixel(x, z1, z2, o)
		base := s.Base[i*s.Out : (i+1)*s.Out]
		var sg float32
		if h.Scale {
			sg = sigmoid(o[0])
		}
		for c := range h.Out {
			if h.Scale {
				scores[c] = base[c] * 2 * sg
			} else {
				scores[c] = base[c] + o[c]
			}
		}
		wt := float64(s.Weight[i])
		l, c := loss(scores, s.Y[i:i+1], k, lambda, norm/wt, d)
		sum += l * wt
		count += c
		if c == 0 {
			continue
		}
		if h.Scale { // scores = base·2σ(z): dL/dz = Σ_c dL/dscore_c · base_c · 2σ(1−σ)
			var ds float32
			for c := range h.Out {
				ds += d[c] * base[c]
			}
			dOut[0] = ds * 2 * sg * (1 - sg)
		} else {
			copy(dOut, d)
		}
		// Layer 3: o = W3 z2 + b3.
		clear(d2)
		for a := range h.outDim() {
			da := dOut[a]
			if da == 0 {
				continue
			}
			g.B[2][a] += da
			row, grow := h.W[2][a*h.Hidden:(a+1)*h.Hidden], g.W[2][a*h.Hidden:(a+1)*h.Hidden]
			for j, zv := range z2 {
				grow[j] += da * zv
				d2[j] += da * row[j]
			}
		}
		clear(d1)
		for a := range h.Hidden {
			if z2[a] <= 0 {
				continue
			}
			da := d2[a]
			g.B[1][a] += da
			row, grow := h.W[1][a*h.Hidden:(a+1)*h.Hidden], g.W[1][a*h.Hidden:(a+1)*h.Hidden]
			for j, zv := range z1 {
				grow[j] += da * zv
				d1[j] += da * row[j]
			}
		}
		for a := range h.Hidden {
			if z1[a] <= 0 {
				continue
			}
			da := d1[a]
			g.B[0][a] += da
			grow := g.W[0][a*h.In : (a+1)*h.In]
			for j, xv := range x {
				grow[j] += da * xv
			}
		}
	}
	return sum, count
}
