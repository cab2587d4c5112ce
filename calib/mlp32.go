package calib

import (
	"math"
	"sync"
)

// The training loop of FitMLP in float32 (the float64 MLP type keeps the reference forward and
// backward passes, for the predictor and the gradient tests). Every width is padded to a multiple
// of 16 (75 → 80, 1 → 16) with zero weights and biases: a padded unit's activation is 0, so its
// ReLU gradient is 0, its weights get zero gradient and weight decay keeps them at 0. Batches are
// padded to a multiple of 4 rows whose loss gradient is 0. The matrix products run in the register-
// blocked kernel mm4x16 (AVX2 with GOEXPERIMENT=simd, else plain Go), 4 rows × 16 columns at once.

// pad16 rounds n up to a multiple of 16.
func pad16(n int) int { return (n + 15) &^ 15 }

// net32 is the padded float32 network: per layer Wᵀ (in×out, row-major) then b, in one slice.
type net32 struct {
	dims, pd []int // real and padded widths
	off      []int // offset of layer k's Wᵀ in ps; b follows it
	ps       []float32
}

func newNet32(m *MLP) *net32 {
	n := &net32{dims: m.Dims}
	for _, d := range m.Dims {
		n.pd = append(n.pd, pad16(d))
	}
	size := 0
	for k := 0; k+1 < len(n.pd); k++ {
		n.off = append(n.off, size)
		size += n.pd[k]*n.pd[k+1] + n.pd[k+1]
	}
	n.ps = make([]float32, size)
	for k := range n.off {
		w, b := m.layer(k)
		in, out := m.Dims[k], m.Dims[k+1]
		wt, b32 := n.layer(n.ps, k)
		for o := range out {
			for i := range in {
				wt[i*n.pd[k+1]+o] = float32(w[o*in+i])
			}
			b32[o] = float32(b[o])
		}
	}
	return n
}

// layer returns views of layer k's Wᵀ (pd[k]×pd[k+1]) and b in ps (the parameters or a gradient).
func (n *net32) layer(ps []float32, k int) (wt, b []float32) {
	in, out := n.pd[k], n.pd[k+1]
	return ps[n.off[k] : n.off[k]+in*out], ps[n.off[k]+in*out : n.off[k]+in*out+out]
}

// store writes the trained parameters back into m (float64, unpadded).
func (n *net32) store(m *MLP) {
	for k := range n.off {
		w, b := m.layer(k)
		in, out := m.Dims[k], m.Dims[k+1]
		wt, b32 := n.layer(n.ps, k)
		for o := range out {
			for i := range in {
				w[o*in+i] = float64(wt[i*n.pd[k+1]+o])
			}
			b[o] = float64(b32[o])
		}
	}
}

// work32 holds one worker's activations, deltas and gradient for up to rows batch rows.
type work32 struct {
	rows  int
	act   [][]float32 // act[k]: rows × pd[k]
	delta [][]float32 // delta[k]: rows × pd[k]
	w     [][]float32 // w[k]: W of layer k (pd[k+1]×pd[k]), the transpose of Wᵀ, for δ·W
	grad  []float32
	loss  float64
}

func (n *net32) newWork(rows int) *work32 {
	rows = (rows + 3) &^ 3
	w := &work32{rows: rows, grad: make([]float32, len(n.ps))}
	for k, d := range n.pd {
		w.act = append(w.act, make([]float32, rows*d))
		w.delta = append(w.delta, make([]float32, rows*d))
		if k+1 < len(n.pd) {
			w.w = append(w.w, make([]float32, d*n.pd[k+1]))
		}
	}
	return w
}

// step runs forward and backward on the rows of z32 (padded to pd[0] columns) listed in idx, with labels y[idx] and the
// gradient scaled by 1/denom, into w.grad (overwritten) and w.loss. Rows beyond len(idx) up to a
// multiple of 4 are zero with zero loss gradient.
func (n *net32) step(w *work32, z32 []float32, idx []int, y []float64, denom float64) {
	nb := (len(idx) + 3) &^ 3
	in0 := n.pd[0]
	a0 := w.act[0][:nb*in0]
	clear(a0[len(idx)*in0:])
	for r, i := range idx {
		copy(a0[r*in0:(r+1)*in0], z32[i*in0:(i+1)*in0])
	}
	last := len(n.pd) - 2
	for k := 0; k <= last; k++ {
		in, out := n.pd[k], n.pd[k+1]
		wt, b := n.layer(n.ps, k)
		zk := w.act[k+1][:nb*out]
		for r := range nb {
			copy(zk[r*out:(r+1)*out], b)
		}
		mmAcc(zk, w.act[k][:nb*in], wt, nb, in, out, in, 1, out) // z += a·Wᵀ
		if k < last {
			reluInPlace(zk)
		}
	}
	// Output: column 0 of the last layer; BCE through the sigmoid gives (p − y)/denom.
	out := n.pd[last+1]
	zo, d := w.act[last+1], w.delta[last+1][:nb*out]
	clear(d)
	loss := 0.0
	for r, i := range idx {
		pr := sigmoid(float64(zo[r*out]))
		loss -= y[i]*math.Max(math.Log(pr), -100) + (1-y[i])*math.Max(math.Log(1-pr), -100)
		d[r*out] = float32((pr - y[i]) / denom)
	}
	w.loss = loss
	for k := last; k >= 0; k-- {
		in, outN := n.pd[k], n.pd[k+1]
		gw, gb := n.layer(w.grad, k)
		dk := w.delta[k+1][:nb*outN]
		a := w.act[k][:nb*in]
		clear(gw)
		mmAcc(gw, a, dk, in, nb, outN, 1, in, outN) // gWᵀ (in×out) = aᵀ·δ
		clear(gb)
		for r := range nb {
			addTo(gb, dk[r*outN:(r+1)*outN])
		}
		if k == 0 {
			break
		}
		// δ_prev = (δ·W) masked by ReLU'(a); W is Wᵀ transposed, so the kernel reads rows.
		wt, _ := n.layer(n.ps, k)
		wk := w.w[k]
		for i := range in {
			for o := range outN {
				wk[o*in+i] = wt[i*outN+o]
			}
		}
		dp := w.delta[k][:nb*in]
		clear(dp)
		mmAcc(dp, dk, wk, nb, outN, in, outN, 1, in)
		reluMask(dp, a)
	}
}

// adam32 is Adam (coupled L2) over the float32 parameters, moments in float32.
type adam32 struct {
	lr, b1, b2, eps, wd float32
	m, v                []float32
	t                   int
}

func (o *adam32) step(ps, g []float32) {
	o.t++
	bc1 := 1 - math.Pow(float64(o.b1), float64(o.t))
	bc2 := 1 - math.Pow(float64(o.b2), float64(o.t))
	// p −= lr/bc1 · m / (√v/√bc2 + eps) = (lr·√bc2/bc1) · m / (√v + eps·√bc2)
	k := adamStep{
		b1: o.b1, b2: o.b2, wd: o.wd,
		step: float32(float64(o.lr) * math.Sqrt(bc2) / bc1), eps: float32(float64(o.eps) * math.Sqrt(bc2)),
	}
	adamUpdate(ps, g, o.m, o.v, &k)
}

// adamStep holds one step's constants for adamUpdate.
type adamStep struct{ b1, b2, wd, step, eps float32 }

// trainMLP32 runs FitMLP's loop (shuffle per epoch with rng, drop_last) on the float32 network
// and writes the result into m.
func trainMLP32(m *MLP, z []float64, p int, y []float64, perm []int, opt MLPOptions, batch, workers int, shuffle func([]int)) error {
	n := newNet32(m)
	// The rows in float32, padded to the input width, converted once.
	in0 := n.pd[0]
	z32 := make([]float32, len(y)*in0)
	for _, i := range perm {
		row := z32[i*in0 : i*in0+p]
		for j, v := range z[i*p : (i+1)*p] {
			row[j] = float32(v)
		}
	}
	chunk := ((batch+workers-1)/workers + 3) &^ 3
	works := make([]*work32, 0, workers)
	for lo := 0; lo < batch; lo += chunk {
		works = append(works, n.newWork(chunk))
	}
	ad := &adam32{lr: float32(opt.LR), b1: float32(opt.Beta1), b2: float32(opt.Beta2), eps: float32(opt.Eps),
		wd: float32(opt.WeightDecay), m: make([]float32, len(n.ps)), v: make([]float32, len(n.ps))}
	steps := len(perm) / batch
	var wg sync.WaitGroup
	for range opt.Epochs {
		shuffle(perm)
		for s := range steps {
			idx := perm[s*batch : (s+1)*batch]
			if len(works) == 1 {
				n.step(works[0], z32, idx, y, float64(batch))
			} else {
				for k, wk := range works {
					lo, hi := k*chunk, min(batch, (k+1)*chunk)
					wg.Go(func() { n.step(wk, z32, idx[lo:hi], y, float64(batch)) })
				}
				wg.Wait()
				g := works[0].grad
				for _, wk := range works[1:] { // fixed order: reproducible sums
					addTo(g, wk.grad)
				}
			}
			loss := 0.0
			for _, wk := range works {
				loss += wk.loss
			}
			if math.IsNaN(loss) {
				return errNaNLoss
			}
			ad.step(n.ps, works[0].grad)
		}
	}
	n.store(m)
	return nil
}
