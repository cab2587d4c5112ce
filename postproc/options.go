package postproc

import (
	"fmt"
	"math"

	"github.com/metaood/metaood/frame"
)

// Defaults of Options (docs/METHOD.md §2, conformance README).
const (
	DefaultThreshold   = 0.7
	DefaultOODLabel    = 254
	DefaultIgnoreLabel = 255
)

// ProbSumTolerance is how far a pixel's probabilities may sum away from 1 before Process refuses
// them as "not probabilities". Network softmax outputs in float32 sum to 1 within ~1e-6.
const ProbSumTolerance = 1e-3

// Options configures a Processor. Zero fields mean the defaults, each on its own: Threshold 0.7,
// OODLabel 254, IgnoreLabel 255. (Filling them one by one keeps {OODLabel: 2} — LostAndFound — from
// ignoring label 0, its "non-hazard" objects, which docs/METHOD.md §4 counts as not ignored.)
type Options struct {
	Threshold   float32 // anomaly if normalized entropy ≥ Threshold; default 0.7
	OODLabel    uint8   // ground-truth anomaly label, default 254
	IgnoreLabel uint8   // ground-truth ignore label, default 255
}

// DefaultOptions returns threshold 0.7, OOD label 254, ignore label 255.
func DefaultOptions() Options {
	return Options{Threshold: DefaultThreshold, OODLabel: DefaultOODLabel, IgnoreLabel: DefaultIgnoreLabel}
}

// withDefaults fills the zero fields as documented on Options.
func (o Options) withDefaults() Options {
	if o.Threshold == 0 {
		o.Threshold = DefaultThreshold
	}
	if o.OODLabel == 0 {
		o.OODLabel = DefaultOODLabel
	}
	if o.IgnoreLabel == 0 {
		o.IgnoreLabel = DefaultIgnoreLabel
	}
	return o
}

// Validate reports an out-of-range threshold or equal OOD and ignore labels.
func (o Options) Validate() error {
	o = o.withDefaults()
	if math.IsNaN(float64(o.Threshold)) || o.Threshold < 0 || o.Threshold > 1 {
		return fmt.Errorf("%w: threshold %v is outside [0, 1]", ErrOptions, o.Threshold)
	}
	if o.OODLabel == o.IgnoreLabel {
		return fmt.Errorf("%w: OOD label and ignore label are both %d", ErrOptions, o.OODLabel)
	}
	return nil
}

// Input is one class map to process.
type Input struct {
	C, H, W int
	Data    []float32 // C×H×W planar, class-major
	Logits  bool      // Data are logits: softmax first
	Ignore  []bool    // optional H×W: pixels never part of an anomaly (ROI mask at inference); may be nil
	GT      []uint8   // optional H×W labels: adds IoU labels, and its IgnoreLabel pixels are ignored
	// Disp, when set, replaces Data (then nil) and Logits: the per-pixel summary of the model's
	// dispersion head (dispersion.go).
	Disp *frame.Dispersion
}

// validate checks the sizes; values are checked during the entropy pass, where they are read anyway.
func (in *Input) validate() error {
	if in.C < 2 || in.C > 255 {
		return fmt.Errorf("%w: %d classes (need 2 to 255)", ErrShape, in.C)
	}
	if in.H <= 0 || in.W <= 0 {
		return fmt.Errorf("%w: map size %dx%d", ErrShape, in.W, in.H)
	}
	if in.H > 1<<15 || in.W > 1<<15 {
		return fmt.Errorf("%w: map size %dx%d is larger than 32768 on a side", ErrShape, in.W, in.H)
	}
	if in.Disp != nil {
		if err := in.validateDisp(); err != nil {
			return err
		}
	} else if n := in.C * in.H * in.W; len(in.Data) != n {
		return fmt.Errorf("%w: %d values for C×H×W = %d×%d×%d = %d", ErrShape, len(in.Data), in.C, in.H, in.W, n)
	}
	if in.Ignore != nil && len(in.Ignore) != in.H*in.W {
		return fmt.Errorf("%w: ignore mask has %d pixels, map has %dx%d", ErrShape, len(in.Ignore), in.W, in.H)
	}
	if in.GT != nil && len(in.GT) != in.H*in.W {
		return fmt.Errorf("%w: ground truth has %d pixels, map has %dx%d", ErrShape, len(in.GT), in.W, in.H)
	}
	return nil
}
