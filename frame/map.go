package frame

// Map is the segmentation output of one frame: C×H×W class scores (logits or probabilities),
// planar, class-major, at the model's resolution.
type Map struct {
	Frame          *Frame
	C, H, W        int
	Data           []float32
	ScaleX, ScaleY float64 // frame px per map px
	Release        func()  // returns Data (or Disp) to its pool; may be nil
	// Disp, when set, replaces Data: the per-pixel summary computed by the model's dispersion
	// head (Data is then nil).
	Disp *Dispersion
	// Err is a per-frame failure (e.g. NaN model output): the frame is counted and skipped, the
	// run goes on. Data is then unused.
	Err error
}
