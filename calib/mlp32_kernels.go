package calib

import (
	"fmt"
	"math"
)

var errNaNLoss = fmt.Errorf("%w: MLP loss became NaN (are the features standardized?)", ErrValue)

// The float32 kernels of the MLP trainer. mlp32_simd.go replaces mmAcc and adamUpdate with AVX2
// versions where the build (GOEXPERIMENT=simd, amd64) and the CPU allow.
var (
	mmAcc       = mmAccScalar
	adamUpdate  = adamUpdateScalar
	reluInPlace = reluInPlaceScalar
	reluMask    = reluMaskScalar
	addTo       = addToScalar
)

// mmAccScalar: C (M×N, row-major) += A·B with A[i][k] = a[i*ar+k*ak] and B[k][j] = b[k*ldb+j].
// M is a multiple of 4 and N of 16 (the AVX2 kernel's block).
func mmAccScalar(c, a, b []float32, m, k, n, ar, ak, ldb int) {
	for i := range m {
		row := c[i*n : (i+1)*n]
		for kk := range k {
			av := a[i*ar+kk*ak]
			if av == 0 {
				continue // ReLU zeros and padding: common
			}
			br := b[kk*ldb : kk*ldb+n]
			for j, bv := range br {
				row[j] += av * bv
			}
		}
	}
}

// adamUpdateScalar is one Adam step with coupled L2: g' = g + wd·p, moments, p −= step·m/(√v+eps).
func adamUpdateScalar(ps, g, m, v []float32, k *adamStep) {
	g, m, v = g[:len(ps)], m[:len(ps)], v[:len(ps)]
	for i, p := range ps {
		gi := g[i] + k.wd*p
		m[i] = k.b1*m[i] + (1-k.b1)*gi
		v[i] = k.b2*v[i] + (1-k.b2)*gi*gi
		ps[i] = p - k.step*m[i]/(float32(math.Sqrt(float64(v[i])))+k.eps)
	}
}

// reluInPlaceScalar sets negative values to 0.
func reluInPlaceScalar(x []float32) {
	for i, v := range x {
		if v < 0 {
			x[i] = 0
		}
	}
}

// reluMaskScalar zeroes d where the post-ReLU activation a is 0 (ReLU' = 0).
func reluMaskScalar(d, a []float32) {
	a = a[:len(d)]
	for i, v := range a {
		if v <= 0 {
			d[i] = 0
		}
	}
}

// addToScalar adds src to dst element-wise.
func addToScalar(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}
