package synth

import (
	"math"
	"testing"
)

// TestLocallySeparable checks the promise made to the segmentation model: classes are
// recognisable from a small neighbourhood. A Gaussian classifier (per-class mean and
// covariance, class priors) on the 5×5 mean colour alone (no texture, no position) must
// already label most pixels right; a small convolutional network does better.
func TestLocallySeparable(t *testing.T) {
	cfg := DefaultConfig()
	cfg.W, cfg.H, cfg.Seed = 512, 256, 11
	d := NewDrive(cfg)
	w, h := cfg.W, cfg.H
	bgr, gt := make([]byte, 3*w*h), make([]uint8, w*h)
	feat := func(x, y int) (f [3]float64) {
		for dy := -2; dy <= 2; dy++ {
			for dx := -2; dx <= 2; dx++ {
				p := 3 * ((y+dy)*w + x + dx)
				f[0] += float64(bgr[p])
				f[1] += float64(bgr[p+1])
				f[2] += float64(bgr[p+2])
			}
		}
		return f
	}
	var g [NumClasses]gauss
	var fit, eval []int
	for i := 0; i < 600; i += 30 {
		fit, eval = append(fit, i), append(eval, i+15)
	}
	for _, i := range fit { // fit the class models
		d.Frame(i, bgr, gt)
		for y := 2; y < h-2; y += 4 {
			for x := 2; x < w-2; x += 4 {
				if l := gt[y*w+x]; l < NumClasses {
					g[l].add(feat(x, y))
				}
			}
		}
	}
	total := 0.0
	for c := range g {
		total += g[c].n
	}
	for c := range g {
		g[c].finish(total)
	}
	right, all := 0, 0
	var confused [NumClasses][NumClasses]int
	for _, i := range eval { // evaluate on other frames
		d.Frame(i, bgr, gt)
		for y := 2; y < h-2; y += 4 {
			for x := 2; x < w-2; x += 4 {
				l := gt[y*w+x]
				if l >= NumClasses {
					continue
				}
				f := feat(x, y)
				best, bd := 0, math.Inf(-1)
				for c := range g {
					if ll := g[c].logLik(f); ll > bd {
						best, bd = c, ll
					}
				}
				all++
				if uint8(best) == l {
					right++
				}
				confused[l][best]++
			}
		}
	}
	acc := float64(right) / float64(all)
	t.Logf("Gaussian 5x5 mean-colour pixel accuracy: %.3f", acc)
	for c := range confused {
		n, worst, wn := 0, 0, 0
		for k, v := range confused[c] {
			n += v
			if k != c && v > wn {
				worst, wn = k, v
			}
		}
		if n > 0 && testing.Verbose() {
			t.Logf("  %-13s n=%6d right %.2f, most confused with %s (%.2f)", ClassNames[c], n,
				float64(confused[c][c])/float64(n), ClassNames[worst], float64(wn)/float64(n))
		}
	}
	if acc < 0.9 {
		t.Errorf("accuracy %.3f < 0.9: classes are not separable by local colour", acc)
	}
}

// gauss is a class model: mean, covariance (inverted) and log prior of a 3-vector.
type gauss struct {
	n         float64
	s         [3]float64
	ss        [3][3]float64
	mean      [3]float64
	inv       [3][3]float64
	logConst  float64
	available bool
}

func (g *gauss) add(f [3]float64) {
	g.n++
	for i := range f {
		g.s[i] += f[i]
		for j := range f {
			g.ss[i][j] += f[i] * f[j]
		}
	}
}

func (g *gauss) finish(total float64) {
	if g.n < 10 {
		return
	}
	var cv [3][3]float64
	for i := range 3 {
		g.mean[i] = g.s[i] / g.n
	}
	for i := range 3 {
		for j := range 3 {
			cv[i][j] = g.ss[i][j]/g.n - g.mean[i]*g.mean[j]
		}
		cv[i][i] += 25 * 25 // regularise: a 5x5 sum of 1-level noise
	}
	det := cv[0][0]*(cv[1][1]*cv[2][2]-cv[1][2]*cv[2][1]) - cv[0][1]*(cv[1][0]*cv[2][2]-cv[1][2]*cv[2][0]) + cv[0][2]*(cv[1][0]*cv[2][1]-cv[1][1]*cv[2][0])
	for i := range 3 {
		for j := range 3 {
			a, b := (j+1)%3, (j+2)%3
			c, d := (i+1)%3, (i+2)%3
			g.inv[i][j] = (cv[a][c]*cv[b][d] - cv[a][d]*cv[b][c]) / det
		}
	}
	g.logConst = math.Log(g.n/total) - 0.5*math.Log(det)
	g.available = true
}

func (g *gauss) logLik(f [3]float64) float64 {
	if !g.available {
		return math.Inf(-1)
	}
	var d [3]float64
	for i := range d {
		d[i] = f[i] - g.mean[i]
	}
	q := 0.0
	for i := range 3 {
		for j := range 3 {
			q += d[i] * g.inv[i][j] * d[j]
		}
	}
	return g.logConst - q/2
}
