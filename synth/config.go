package synth

import (
	"fmt"

	"github.com/metaood/metaood/frame"
)

// Config describes a synthetic drive. Same Config → same frames, byte for byte.
// Zero values of the optional knobs mean their defaults, so Config{W: 640, H: 320,
// Seed: 7, Anomalies: true} is a complete drive.
type Config struct {
	W, H      int   // frame size in pixels (default 1024x512)
	Seed      int64 // scene, traffic and anomaly layout
	Anomalies bool  // moving anomalies on the road (default true)

	MaxAnomalies int     // at most this many anomalies at a time, 1..3 (0 = 3)
	Speed        float64 // ego speed in metres per frame (0 = 0.4, i.e. 43 km/h at 30 fps)
	Lighting     float64 // per-frame brightness/contrast amplitude, 0..1.5 (0 = 1 ≈ ±18%; negative = off)
	Hood         float64 // ego-hood height as a share of H, labelled ignore (0 = 0.055; negative = no hood)
}

// DefaultConfig returns a 1024x512 drive with anomalies, seed 1.
func DefaultConfig() Config {
	return Config{W: 1024, H: 512, Seed: 1, Anomalies: true}
}

// Validate reports the first invalid field, naming it.
func (c Config) Validate() error {
	switch {
	case c.W < 32 || c.H < 32 || c.W > 8192 || c.H > 8192:
		return fmt.Errorf("%w: size %dx%d out of range (32..8192 each side)", ErrConfig, c.W, c.H)
	case c.MaxAnomalies < 0 || c.MaxAnomalies > 3:
		return fmt.Errorf("%w: MaxAnomalies %d (want 0..3)", ErrConfig, c.MaxAnomalies)
	case !(c.Speed >= 0 && c.Speed <= 5):
		return fmt.Errorf("%w: Speed %g m/frame (want 0..5)", ErrConfig, c.Speed)
	case !(c.Lighting <= 1.5) || c.Lighting != c.Lighting:
		return fmt.Errorf("%w: Lighting %g (want ≤ 1.5)", ErrConfig, c.Lighting)
	case !(c.Hood <= 0.3) || c.Hood != c.Hood:
		return fmt.Errorf("%w: Hood %g (want ≤ 0.3)", ErrConfig, c.Hood)
	}
	return nil
}

// resolved fills in the defaults of zero-valued knobs.
func (c Config) resolved() Config {
	if c.MaxAnomalies == 0 {
		c.MaxAnomalies = 3
	}
	if c.Speed == 0 {
		c.Speed = 0.4
	}
	if c.Lighting == 0 {
		c.Lighting = 1
	} else if c.Lighting < 0 {
		c.Lighting = 0
	}
	if c.Hood == 0 {
		c.Hood = 0.055
	} else if c.Hood < 0 {
		c.Hood = 0
	}
	return c
}

// ParseSize parses "WxH" (e.g. "1024x512") as used by the --size flags.
func ParseSize(s string) (w, h int, err error) {
	w, h, err = frame.ParseSize(s, 32, 8192)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %v", ErrSize, err)
	}
	return w, h, nil
}
