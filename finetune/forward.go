package finetune

import "math"

func sqrt64(x float64) float64 { return math.Sqrt(x) }

// activations holds every layer's input for one image (acts[i] feeds layer i; the last is the
// class scores), reused between images of the same size.
type activations struct {
	h, w int
	acts [][]float32
}

// forward runs the tail on features x (In×h×w, planar) and returns the class scores
// (Out×h×w) inside a. x is not modified and must stay alive while a is used for backward.
func (t *Tail) forward(x []float32, h, w int, a *activations) []float32 {
	n := h * w
	if a.h != h || a.w != w || len(a.acts) != len(t.layers)+1 {
		a.h, a.w = h, w
		a.acts = make([][]float32, len(t.layers)+1)
		for i, l := range t.layers {
			a.acts[i+1] = make([]float32, l.cout*n)
		}
	}
	a.acts[0] = x
	for i, l := range t.layers {
		in, out := a.acts[i], a.acts[i+1]
		switch l.kind {
		case opBatchNorm:
			for c := range l.cout {
				s := l.w[c] * l.inv[c]
				o := l.b[c] - l.mean[c]*s
				src, dst := in[c*n:(c+1)*n], out[c*n:(c+1)*n]
				for j, v := range src {
					dst[j] = v*s + o
				}
			}
		case opPRelu:
			for c := range l.cout {
				slope := l.w[min(c, len(l.w)-1)]
				src, dst := in[c*n:(c+1)*n], out[c*n:(c+1)*n]
				for j, v := range src {
					if v < 0 {
						v *= slope
					}
					dst[j] = v
				}
			}
		case opShuffle:
			for c, p := range l.perm {
				copy(out[c*n:(c+1)*n], in[p*n:(p+1)*n])
			}
		case opConv:
			convForward(l, in, out, h, w)
		}
	}
	return a.acts[len(t.layers)]
}

// convForward computes out = conv(in) + bias for a stride-1 zero-padded convolution.
func convForward(l *layer, in, out []float32, h, w int) {
	n := h * w
	ig, og := l.cin/l.grp, l.cout/l.grp
	k := l.k
	for o := range l.cout {
		dst := out[o*n : (o+1)*n]
		bias := float32(0)
		if l.b != nil {
			bias = l.b[o]
		}
		for j := range dst {
			dst[j] = bias
		}
		g := o / og
		for ci := range ig {
			src := in[(g*ig+ci)*n : (g*ig+ci+1)*n]
			for ky := range k {
				dy := ky - l.pad
				for kx := range k {
					dx := kx - l.pad
					wt := l.w[((o*ig+ci)*k+ky)*k+kx]
					if wt == 0 {
						continue
					}
					x0, x1 := max(0, -dx), min(w, w-dx)
					for y := max(0, -dy); y < min(h, h-dy); y++ {
						d := dst[y*w+x0 : y*w+x1]
						s := src[(y+dy)*w+x0+dx : (y+dy)*w+x1+dx]
						for j := range d {
							d[j] += wt * s[j]
						}
					}
				}
			}
		}
	}
}

// grads holds gradient sums for the trained layers, shaped like their weights.
type grads struct {
	w, b [][]float32
}

func (t *Tail) newGrads() *grads {
	g := &grads{w: make([][]float32, len(t.layers)), b: make([][]float32, len(t.layers))}
	for i, l := range t.layers {
		g.w[i] = make([]float32, len(l.w))
		g.b[i] = make([]float32, len(l.b))
	}
	return g
}

func (g *grads) zero() {
	for i := range g.w {
		clear(g.w[i])
		clear(g.b[i])
	}
}

func (g *grads) add(o *grads) {
	for i := range g.w {
		for j, v := range o.w[i] {
			g.w[i][j] += v
		}
		for j, v := range o.b[i] {
			g.b[i][j] += v
		}
	}
}

// backward adds to g the gradient of the loss for the trained layers, given dOut (the loss's
// gradient at the class scores, Out×h×w; it is overwritten) and the activations of forward.
func (t *Tail) backward(a *activations, dOut []float32, g *grads, scratch *[2][]float32) {
	h, w := a.h, a.w
	n := h * w
	d := dOut
	for i := len(t.layers) - 1; i >= t.trainFrom; i-- {
		l := t.layers[i]
		in := a.acts[i]
		needIn := i > t.trainFrom
		var dIn []float32
		if needIn {
			buf := &scratch[i%2]
			if cap(*buf) < l.cin*n {
				*buf = make([]float32, l.cin*n)
			}
			dIn = (*buf)[:l.cin*n]
		}
		switch l.kind {
		case opBatchNorm:
			for c := range l.cout {
				s := l.w[c] * l.inv[c]
				var sg, sb float64
				src, dy := in[c*n:(c+1)*n], d[c*n:(c+1)*n]
				for j, v := range dy {
					sb += float64(v)
					sg += float64(v * (src[j] - l.mean[c]) * l.inv[c])
				}
				g.w[i][c] += float32(sg)
				g.b[i][c] += float32(sb)
				if needIn {
					dx := dIn[c*n : (c+1)*n]
					for j, v := range dy {
						dx[j] = v * s
					}
				}
			}
		case opPRelu:
			for c := range l.cout {
				si := min(c, len(l.w)-1)
				slope := l.w[si]
				var sa float64
				src, dy := in[c*n:(c+1)*n], d[c*n:(c+1)*n]
				for j, v := range src {
					if v < 0 {
						sa += float64(dy[j] * v)
					}
				}
				g.w[i][si] += float32(sa)
				if needIn {
					dx := dIn[c*n : (c+1)*n]
					for j, v := range src {
						if v < 0 {
							dx[j] = dy[j] * slope
						} else {
							dx[j] = dy[j]
						}
					}
				}
			}
		case opShuffle:
			if needIn {
				for c, p := range l.perm {
					copy(dIn[p*n:(p+1)*n], d[c*n:(c+1)*n])
				}
			}
		case opConv:
			convBackward(l, in, d, dIn, g.w[i], g.b[i], h, w)
		}
		d = dIn
	}
}

// convBackward adds the weight and bias gradients of a convolution to gw, gb and, when dIn is
// not nil, writes the input gradient into it.
func convBackward(l *layer, in, dOut, dIn, gw, gb []float32, h, w int) {
	n := h * w
	ig, og := l.cin/l.grp, l.cout/l.grp
	k := l.k
	if dIn != nil {
		clear(dIn)
	}
	for o := range l.cout {
		dy := dOut[o*n : (o+1)*n]
		if gb != nil && len(gb) > 0 {
			var s float64
			for _, v := range dy {
				s += float64(v)
			}
			gb[o] += float32(s)
		}
		g := o / og
		for ci := range ig {
			src := in[(g*ig+ci)*n : (g*ig+ci+1)*n]
			var dsrc []float32
			if dIn != nil {
				dsrc = dIn[(g*ig+ci)*n : (g*ig+ci+1)*n]
			}
			for ky := range k {
				dyy := ky - l.pad
				for kx := range k {
					dx := kx - l.pad
					wi := ((o*ig+ci)*k+ky)*k + kx
					wt := l.w[wi]
					x0, x1 := max(0, -dx), min(w, w-dx)
					var acc float64
					for y := max(0, -dyy); y < min(h, h-dyy); y++ {
						gy := dy[y*w+x0 : y*w+x1]
						s := src[(y+dyy)*w+x0+dx : (y+dyy)*w+x1+dx]
						var rs float32
						for j := range gy {
							rs += gy[j] * s[j]
						}
						acc += float64(rs)
						if dsrc != nil {
							ds := dsrc[(y+dyy)*w+x0+dx : (y+dyy)*w+x1+dx]
							for j := range gy {
								ds[j] += wt * gy[j]
							}
						}
					}
					gw[wi] += float32(acc)
				}
			}
		}
	}
}
