package segmodel

import (
	"fmt"
	"math/rand/v2"
	"sync"
)

// Labels in Image.GT beyond the train ids 0..Classes-1.
const (
	// LabelUniform marks pixels trained towards the uniform distribution (pasted proxy anomalies)
	// and scored as anomalies in Evaluate.
	LabelUniform uint8 = 254
	// LabelIgnore marks pixels never trained on nor scored.
	LabelIgnore uint8 = 255
)

// Image is one labelled image: BGR24 pixels and one label per pixel (a train id, LabelUniform or LabelIgnore).
type Image struct {
	W, H int
	BGR  []byte
	GT   []uint8
}

// Dataset is a random-access collection of labelled images. Image renders image k into img,
// reusing img's buffers when they are large enough; it must be safe for concurrent calls with
// different img values.
type Dataset interface {
	Len() int
	Image(k int, img *Image)
}

// samples is a set of per-pixel training examples: NumFeatures values and a label each.
type samples struct {
	x []float32 // n × NumFeatures
	y []uint8   // n: train id or LabelUniform
}

func (s *samples) len() int { return len(s.y) }

// sampleDataset renders every image of ds (on `workers` goroutines) and draws perImage labelled
// pixels from each, uniformly among non-ignored pixels. The result depends only on seed, not on
// scheduling: image k's draws come from its own stream and land at fixed offsets.
func sampleDataset(ds Dataset, perImage int, seed uint64, workers int) (*samples, error) {
	n := ds.Len()
	s := &samples{x: make([]float32, n*perImage*NumFeatures), y: make([]uint8, n*perImage)}
	filled := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var img Image
			var f Features
			var rgb []float32
			var idx []int
			for k := range next {
				var err error
				if rgb, err = imageFeatures(ds, k, &img, rgb, &f); err != nil {
					errs[k] = err
					continue
				}
				idx = idx[:0]
				for p, l := range img.GT {
					if l < Classes || l == LabelUniform {
						idx = append(idx, p)
					}
				}
				rng := rand.New(rand.NewPCG(seed, uint64(k)))
				m := min(perImage, len(idx))
				for t := range m {
					// Partial Fisher–Yates: m distinct pixels.
					r := t + rng.IntN(len(idx)-t)
					idx[t], idx[r] = idx[r], idx[t]
					p := idx[t]
					o := k*perImage + t
					f.At(p/img.W, p%img.W, s.x[o*NumFeatures:(o+1)*NumFeatures])
					s.y[o] = img.GT[p]
				}
				filled[k] = m
			}
		}()
	}
	for k := range n {
		next <- k
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	// Compact: images with fewer labelled pixels than perImage leave gaps.
	out := 0
	for k := range n {
		for t := range filled[k] {
			o := k*perImage + t
			copy(s.x[out*NumFeatures:(out+1)*NumFeatures], s.x[o*NumFeatures:(o+1)*NumFeatures])
			s.y[out] = s.y[o]
			out++
		}
	}
	s.x, s.y = s.x[:out*NumFeatures], s.y[:out]
	return s, nil
}

// imageFeatures loads image k of ds into img and computes its per-pixel features into f; rgb
// is scratch space, returned for reuse.
func imageFeatures(ds Dataset, k int, img *Image, rgb []float32, f *Features) ([]float32, error) {
	ds.Image(k, img)
	rgb, err := RGBFromBGR(img.BGR, img.W, img.H, rgb)
	if err != nil {
		return rgb, fmt.Errorf("image %d: %w", k, err)
	}
	if len(img.GT) != img.W*img.H {
		return rgb, fmt.Errorf("%w: image %d has %d labels for %dx%d pixels", ErrShape, k, len(img.GT), img.W, img.H)
	}
	return rgb, ComputeFeatures(rgb, img.H, img.W, f)
}
