package calib

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// MLPOptions are the paper's network and training settings (docs/METHOD.md §5); zero values take those defaults.
type MLPOptions struct {
	Hidden      []int   // hidden widths; default three layers as wide as the input (75→75→75→75→1)
	Epochs      int     // default 50
	Batch       int     // default 128; the last partial batch is dropped (drop_last=True)
	LR          float64 // Adam learning rate, default 1e-3
	WeightDecay float64 // coupled L2 added to the gradient (torch.optim.Adam weight_decay), default 5e-3
	Beta1       float64 // default 0.9
	Beta2       float64 // default 0.999
	Eps         float64 // default 1e-8
	Seed        uint64  // initialisation and shuffling; same seed, same data → same network
	NoDecay     bool    // set to train without weight decay (WeightDecay 0 means the default)
	// Workers splits each batch over this many goroutines (data parallel; default 1). Results are
	// reproducible for a given seed and worker count; a different count changes the rounding only.
	Workers int
}

func (o MLPOptions) withDefaults(p int) MLPOptions {
	if o.Hidden == nil {
		o.Hidden = []int{p, p, p}
	}
	if o.Epochs == 0 {
		o.Epochs = 50
	}
	if o.Batch == 0 {
		o.Batch = 128
	}
	if o.LR == 0 {
		o.LR = 1e-3
	}
	if o.WeightDecay == 0 && !o.NoDecay {
		o.WeightDecay = 5e-3
	}
	if o.Beta1 == 0 {
		o.Beta1 = 0.9
	}
	if o.Beta2 == 0 {
		o.Beta2 = 0.999
	}
	if o.Eps == 0 {
		o.Eps = 1e-8
	}
	return o
}

// MLP is a fully connected network: ReLU on hidden layers, one sigmoid output. All parameters live in
// Params (layer by layer: W out×in row-major, then b), so the optimizer runs over one slice.
type MLP struct {
	Dims   []int // Dims[0] = inputs, Dims[k] = width of layer k, last = 1
	Params []float64
	off    []int // offset of layer k's W in Params; b follows W
}

// NewMLP returns a network with PyTorch's default nn.Linear initialisation: weights Kaiming-uniform with
// a = √5 and biases U(±1/√fan_in), which both come to U(±1/√fan_in).
func NewMLP(dims []int, rng *rand.Rand) *MLP {
	m := &MLP{Dims: append([]int(nil), dims...)}
	n := 0
	for k := 0; k+1 < len(dims); k++ {
		m.off = append(m.off, n)
		n += dims[k+1]*dims[k] + dims[k+1]
	}
	m.Params = make([]float64, n)
	for k := 0; k+1 < len(dims); k++ {
		bound := 1 / math.Sqrt(float64(dims[k]))
		w, b := m.layer(k)
		for i := range w {
			w[i] = (2*rng.Float64() - 1) * bound
		}
		for i := range b {
			b[i] = (2*rng.Float64() - 1) * bound
		}
	}
	return m
}

// layer returns views of layer k's weights (out×in) and biases in Params.
func (m *MLP) layer(k int) (w, b []float64) {
	return layerOf(m.Params, m.Dims, m.off, k)
}

func layerOf(ps []float64, dims, off []int, k int) (w, b []float64) {
	in, out := dims[k], dims[k+1]
	w = ps[off[k] : off[k]+in*out]
	b = ps[off[k]+in*out : off[k]+in*out+out]
	return w, b
}

// NumParams returns the parameter count (17,176 for 75 inputs and the default hidden layers).
func (m *MLP) NumParams() int { return len(m.Params) }

// Layers returns the weights in the metaclf file layout (W as out×in rows, b).
func (m *MLP) Layers() (ws [][][]float64, bs [][]float64) {
	for k := 0; k+1 < len(m.Dims); k++ {
		w, b := m.layer(k)
		in, out := m.Dims[k], m.Dims[k+1]
		rows := make([][]float64, out)
		for o := range out {
			rows[o] = append([]float64(nil), w[o*in:(o+1)*in]...)
		}
		ws = append(ws, rows)
		bs = append(bs, append([]float64(nil), b...))
	}
	return ws, bs
}

// mlpWork holds the activations and gradients of one batch; reused across steps.
type mlpWork struct {
	act   [][]float64 // act[k]: batch × Dims[k] (act[0] is the input batch)
	delta [][]float64 // delta[k]: batch × Dims[k], gradient of the loss wrt pre-activation of layer k
	grad  []float64   // like Params
}

func (m *MLP) newWork(batch int) *mlpWork {
	w := &mlpWork{grad: make([]float64, len(m.Params))}
	for _, d := range m.Dims {
		w.act = append(w.act, make([]float64, batch*d))
		w.delta = append(w.delta, make([]float64, batch*d))
	}
	return w
}

// forward computes the activations of nb rows already in w.act[0]; the output holds probabilities.
func (m *MLP) forward(w *mlpWork, nb int) {
	last := len(m.Dims) - 2
	for k := 0; k <= last; k++ {
		in, out := m.Dims[k], m.Dims[k+1]
		wt, b := m.layer(k)
		a, z := w.act[k][:nb*in], w.act[k+1][:nb*out]
		for r := range nb {
			copy(z[r*out:(r+1)*out], b)
		}
		// z (nb×out) += a (nb×in) · Wᵀ (in×out)
		blas64.Gemm(blas.NoTrans, blas.Trans, 1,
			blas64.General{Rows: nb, Cols: in, Stride: in, Data: a},
			blas64.General{Rows: out, Cols: in, Stride: in, Data: wt},
			1, blas64.General{Rows: nb, Cols: out, Stride: out, Data: z})
		if k < last {
			for i, v := range z {
				if v < 0 {
					z[i] = 0
				}
			}
		} else {
			for i, v := range z {
				z[i] = sigmoid(v)
			}
		}
	}
}

// backward fills w.grad with the gradient of (sum of BCE over the nb rows)/denom (labels y) and
// returns the summed loss.
func (m *MLP) backward(w *mlpWork, nb int, y []float64, denom float64) float64 {
	last := len(m.Dims) - 2
	out := w.act[last+1][:nb]
	d := w.delta[last+1][:nb]
	loss := 0.0
	for r := range nb {
		p := out[r]
		// BCE's gradient through the sigmoid is (p − y); PyTorch clamps log at −100, as here.
		loss -= y[r]*math.Max(math.Log(p), -100) + (1-y[r])*math.Max(math.Log(1-p), -100)
		d[r] = (p - y[r]) / denom
	}
	for k := last; k >= 0; k-- {
		in, outN := m.Dims[k], m.Dims[k+1]
		gw, gb := layerOf(w.grad, m.Dims, m.off, k)
		dk := w.delta[k+1][:nb*outN]
		a := w.act[k][:nb*in]
		// gW (out×in) = δᵀ (out×nb) · a (nb×in)
		blas64.Gemm(blas.Trans, blas.NoTrans, 1,
			blas64.General{Rows: nb, Cols: outN, Stride: outN, Data: dk},
			blas64.General{Rows: nb, Cols: in, Stride: in, Data: a},
			0, blas64.General{Rows: outN, Cols: in, Stride: in, Data: gw})
		clear(gb)
		for r := range nb {
			for o, v := range dk[r*outN : (r+1)*outN] {
				gb[o] += v
			}
		}
		if k == 0 {
			break
		}
		// δ_prev (nb×in) = δ (nb×out) · W (out×in), masked by ReLU'(a) (a = post-ReLU activation).
		wt, _ := m.layer(k)
		dp := w.delta[k][:nb*in]
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
			blas64.General{Rows: nb, Cols: outN, Stride: outN, Data: dk},
			blas64.General{Rows: outN, Cols: in, Stride: in, Data: wt},
			0, blas64.General{Rows: nb, Cols: in, Stride: in, Data: dp})
		for i, v := range a {
			if v <= 0 {
				dp[i] = 0
			}
		}
	}
	return loss
}

// Adam is torch.optim.Adam with coupled L2 weight decay (the decay is added to the gradient).
type Adam struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	m, v                               []float64
	t                                  int
}

// Step updates params with grad (grad is not modified), as PyTorch's single-tensor Adam does.
func (o *Adam) Step(params, grad []float64) {
	if o.m == nil {
		o.m, o.v = make([]float64, len(params)), make([]float64, len(params))
	}
	o.t++
	bc1 := 1 - math.Pow(o.Beta1, float64(o.t))
	bc2 := 1 - math.Pow(o.Beta2, float64(o.t))
	step := o.LR / bc1
	sq2 := math.Sqrt(bc2)
	m, v := o.m[:len(params)], o.v[:len(params)]
	grad = grad[:len(params)]
	for i, p := range params {
		g := grad[i] + o.WeightDecay*p
		m[i] = o.Beta1*m[i] + (1-o.Beta1)*g
		v[i] = o.Beta2*v[i] + (1-o.Beta2)*g*g
		params[i] = p - step*m[i]/(math.Sqrt(v[i])/sq2+o.Eps)
	}
}

// FitMLP trains the network on the standardized rows of z (n×p) listed in rows (all when nil), labels y
// (1 = FP), with BCE loss and Adam (docs/METHOD.md §5). Training runs in float32 (mlp32.go; the
// result is stored back as float64); opt.Workers > 1 splits each batch over goroutines.
func FitMLP(z []float64, p int, y []float64, rows []int, opt MLPOptions) (*MLP, error) {
	opt = opt.withDefaults(p)
	if rows == nil {
		rows = allRows(len(y))
	}
	if err := checkTwoClasses(y, rows); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6d657461))
	dims := append(append([]int{p}, opt.Hidden...), 1)
	m := NewMLP(dims, rng)
	batch := opt.Batch
	if len(rows) < batch {
		// drop_last would leave nothing to train on; use the rows as one batch instead.
		batch = len(rows)
	}
	workers := max(1, min(opt.Workers, batch/8))
	perm := append([]int(nil), rows...)
	shuffle := func(perm []int) { rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] }) }
	if err := trainMLP32(m, z, p, y, perm, opt, batch, workers, shuffle); err != nil {
		return nil, err
	}
	return m, nil
}

// Predictor evaluates an MLP row by row with reusable buffers (not safe for concurrent use).
type Predictor struct {
	m *MLP
	w *mlpWork
}

// NewPredictor returns a predictor for m.
func (m *MLP) NewPredictor() *Predictor { return &Predictor{m: m, w: m.newWork(1)} }

// Prob returns P(FP) of one standardized row.
func (pr *Predictor) Prob(row []float64) float64 {
	copy(pr.w.act[0], row)
	pr.m.forward(pr.w, 1)
	return pr.w.act[len(pr.w.act)-1][0]
}
