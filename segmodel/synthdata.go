package segmodel

import (
	"fmt"

	"github.com/metaood/metaood/synth"
)

// Size is an image size in pixels.
type Size struct{ W, H int }

// SynthConfig describes a Dataset of synthetic drive frames (package synth) followed by
// proxy-anomaly images.
type SynthConfig struct {
	Seed   int64  // drive seed (and base seed of the proxy images)
	First  int    // first frame index
	Frames int    // number of frames: First, First+Step, …
	Step   int    // frame index step (consecutive frames are near-duplicates); 0 = 1
	Sizes  []Size // frame sizes, cycled over frames and proxies (several sizes: scale-robust training)
	// Indices, when set, lists the frame indices to use instead of First, Frames and Step.
	Indices []int
	// DriveAnomalies renders the drive's moving anomalies, labelled LabelUniform: for evaluation.
	// Training leaves them out: the model learns anomalies from proxies only.
	DriveAnomalies bool
	Proxies        int     // proxy-anomaly images (pasted objects labelled LabelUniform)
	ProxyShare     float64 // pasted share of each proxy image (≤ 0.2: "informative", docs/METHOD.md §6)
}

// synthSet is the Dataset for a SynthConfig.
type synthSet struct {
	c      SynthConfig
	drives []*synth.Drive // one per size
}

// NewSynthDataset returns the Dataset c describes; it fails with ErrConfig naming a bad field.
func NewSynthDataset(c SynthConfig) (Dataset, error) {
	if c.Step == 0 {
		c.Step = 1
	}
	if c.Indices != nil {
		c.First, c.Frames, c.Step = 0, len(c.Indices), 1
		for _, i := range c.Indices {
			if i < 0 {
				return nil, fmt.Errorf("%w: negative frame index %d", ErrConfig, i)
			}
		}
	}
	switch {
	case c.Frames < 0 || c.Proxies < 0 || c.First < 0 || c.Step < 0:
		return nil, fmt.Errorf("%w: frames %d, proxies %d, first %d, step %d must not be negative", ErrConfig, c.Frames, c.Proxies, c.First, c.Step)
	case c.Frames+c.Proxies == 0:
		return nil, fmt.Errorf("%w: no frames and no proxies", ErrConfig)
	case len(c.Sizes) == 0:
		return nil, fmt.Errorf("%w: no image sizes", ErrConfig)
	case c.Proxies > 0 && !(c.ProxyShare > 0 && c.ProxyShare < 1):
		return nil, fmt.Errorf("%w: proxy share %g must be in (0,1)", ErrConfig, c.ProxyShare)
	}
	s := &synthSet{c: c}
	for _, sz := range c.Sizes {
		cfg := synth.Config{W: sz.W, H: sz.H, Seed: c.Seed, Anomalies: c.DriveAnomalies}
		if err := cfg.Validate(); err != nil {
			return nil, fmt.Errorf("%w: size %dx%d: %w", ErrConfig, sz.W, sz.H, err)
		}
		s.drives = append(s.drives, synth.NewDrive(cfg))
	}
	return s, nil
}

// Len is the number of frames plus proxies.
func (s *synthSet) Len() int { return s.c.Frames + s.c.Proxies }

// Image renders frame k (k < Frames) or proxy k−Frames; sizes cycle with k.
func (s *synthSet) Image(k int, img *Image) {
	sz := s.c.Sizes[k%len(s.c.Sizes)]
	img.W, img.H = sz.W, sz.H
	img.BGR = growBytes(img.BGR, 3*sz.W*sz.H)
	img.GT = growBytes(img.GT, sz.W*sz.H)
	if k < s.c.Frames {
		i := s.c.First + k*s.c.Step
		if s.c.Indices != nil {
			i = s.c.Indices[k]
		}
		s.drives[k%len(s.c.Sizes)].Frame(i, img.BGR, img.GT)
		return
	}
	p := int64(k - s.c.Frames)
	synth.Proxy(s.c.Seed*1_000_003+p, sz.W, sz.H, s.c.ProxyShare, img.BGR, img.GT)
}

func growBytes(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}
