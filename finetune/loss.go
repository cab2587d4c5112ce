package finetune

import "math"

// loss computes the entropy-maximization loss of one image and writes its gradient with respect
// to the class scores into d (same layout as scores, Out×n). Only the first k channels take part
// (a model's extra channels, e.g. void, get zero gradient). Per pixel:
//
//	known label y < k:  (1−λ)·(−log p_y)
//	LabelProxy:         λ·(−(1/k)·Σ_c log p_c)
//	anything else:      0
//
// The sum is divided by norm (the batch's labelled pixel count), so gradients of several images
// add up to the gradient of the batch mean. It returns the summed (undivided) loss and the
// number of labelled pixels.
func loss(scores []float32, labels []uint8, k int, lambda float64, norm float64, d []float32) (sum float64, count int) {
	n := len(labels)
	clear(d)
	var pbuf [256]float64
	p := pbuf[:k]
	inv := 1 / norm
	uk := 1 / float64(k)
	for j, y := range labels {
		if int(y) >= k && y != LabelProxy {
			continue
		}
		mx := math.Inf(-1)
		for c := range k {
			mx = math.Max(mx, float64(scores[c*n+j]))
		}
		var z float64
		for c := range k {
			p[c] = math.Exp(float64(scores[c*n+j]) - mx)
			z += p[c]
		}
		logZ := math.Log(z)
		count++
		if y == LabelProxy {
			var s float64
			for c := range k {
				s -= float64(scores[c*n+j]) - mx - logZ
				d[c*n+j] = float32(lambda * (p[c]/z - uk) * inv)
			}
			sum += lambda * s * uk
			continue
		}
		sum += (1 - lambda) * -(float64(scores[int(y)*n+j]) - mx - logZ)
		for c := range k {
			g := p[c] / z
			if c == int(y) {
				g--
			}
			d[c*n+j] = float32((1 - lambda) * g * inv)
		}
	}
	return sum, count
}

// adam is Adam (Kingma & Ba) over the trained layers' weights.
type adam struct {
	lr, b1, b2, eps float64
	t               int
	m, v            *grads
}

func newAdam(t *Tail, lr float64) *adam {
	return &adam{lr: lr, b1: 0.9, b2: 0.999, eps: 1e-8, m: t.newGrads(), v: t.newGrads()}
}

// step applies one update with gradient g to the layers from t.trainFrom on.
func (a *adam) step(t *Tail, g *grads) {
	a.t++
	c1 := 1 - math.Pow(a.b1, float64(a.t))
	c2 := 1 - math.Pow(a.b2, float64(a.t))
	upd := func(w, g, m, v []float32) {
		for j := range w {
			gj := float64(g[j])
			mj := a.b1*float64(m[j]) + (1-a.b1)*gj
			vj := a.b2*float64(v[j]) + (1-a.b2)*gj*gj
			m[j], v[j] = float32(mj), float32(vj)
			w[j] -= float32(a.lr * (mj / c1) / (math.Sqrt(vj/c2) + a.eps))
		}
	}
	for i := t.trainFrom; i < len(t.layers); i++ {
		l := t.layers[i]
		upd(l.w, g.w[i], a.m.w[i], a.v.w[i])
		upd(l.b, g.b[i], a.m.b[i], a.v.b[i])
	}
}

// Upsample resizes planar maps (ch×h×w) to ch×oh×ow bilinearly with align_corners, as the
// ONNX Resize at the end of the tail does.
func Upsample(src []float32, ch, h, w, oh, ow int) []float32 {
	dst := make([]float32, ch*oh*ow)
	fy := func(i int) (int, int, float32) {
		if oh == 1 || h == 1 {
			return 0, 0, 0
		}
		s := float64(i) * float64(h-1) / float64(oh-1)
		y0 := min(int(s), h-1)
		return y0, min(y0+1, h-1), float32(s - float64(y0))
	}
	xs0, xs1, xf := make([]int, ow), make([]int, ow), make([]float32, ow)
	for i := range ow {
		if ow == 1 || w == 1 {
			continue
		}
		s := float64(i) * float64(w-1) / float64(ow-1)
		xs0[i] = min(int(s), w-1)
		xs1[i] = min(xs0[i]+1, w-1)
		xf[i] = float32(s - float64(xs0[i]))
	}
	for c := range ch {
		p := src[c*h*w : (c+1)*h*w]
		q := dst[c*oh*ow : (c+1)*oh*ow]
		for y := range oh {
			y0, y1, a := fy(y)
			r0, r1 := p[y0*w:(y0+1)*w], p[y1*w:(y1+1)*w]
			row := q[y*ow : (y+1)*ow]
			for x := range ow {
				top := r0[xs0[x]] + (r0[xs1[x]]-r0[xs0[x]])*xf[x]
				bot := r1[xs0[x]] + (r1[xs1[x]]-r1[xs0[x]])*xf[x]
				row[x] = top + (bot-top)*a
			}
		}
	}
	return dst
}

// Forward runs the tail on features (In×h×w) and returns the class scores at the model's
// output size (Out×OutH×OutW, or h×w when the tail has no upsampling).
func (t *Tail) Forward(features []float32, h, w int) ([]float32, int, int) {
	var a activations
	s := t.forward(features, h, w, &a)
	if t.OutW == 0 {
		return s, h, w
	}
	return Upsample(s, t.Out, h, w, t.OutH, t.OutW), t.OutH, t.OutW
}
