package capture

import (
	"fmt"
	"io"

	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/synth"
)

// DefaultSynthFrames is the length of a "synth" drive without frames=N, so that a run ends.
const DefaultSynthFrames = 300

// synthSource renders a deterministic synthetic drive (metaood/synth).
type synthSource struct {
	*base
	drive  *synth.Drive
	w, h   int
	frames int // 0 = endless
	fps    float64
}

func newSynthSource(b *base, sp spec) (frame.Source, error) {
	cfg := synth.DefaultConfig()
	seed, err := intParam(sp.params, "seed", int(cfg.Seed), -1<<31, 1<<31-1)
	if err != nil {
		return nil, err
	}
	frames, err := intParam(sp.params, "frames", DefaultSynthFrames, 0, 1<<30)
	if err != nil {
		return nil, err
	}
	anom, err := intParam(sp.params, "anomalies", 1, 0, 1)
	if err != nil {
		return nil, err
	}
	fps, err := floatParam(sp.params, "fps", 30, 1000)
	if err != nil {
		return nil, err
	}
	cfg.W, cfg.H, err = sizeParam(sp.params, "size", cfg.W, cfg.H)
	if err != nil {
		return nil, err
	}
	cfg.Seed, cfg.Anomalies = int64(seed), anom == 1
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: synth: %v", ErrSpec, err)
	}
	return &synthSource{base: b, drive: synth.NewDrive(cfg), w: cfg.W, h: cfg.H, frames: frames, fps: fps}, nil
}

// FPS is the drive's frame rate (fps=, default 30).
func (s *synthSource) FPS() float64 { return s.fps }

// Open starts the drive at frame 0 (endless with frames=0).
func (s *synthSource) Open() (frame.Stream, error) { return &synthStream{s: s}, nil }

type synthStream struct {
	s *synthSource
	i int
}

func (st *synthStream) Describe() string {
	return fmt.Sprintf("synthetic drive %dx%d, seed %d", st.s.w, st.s.h, st.s.drive.Config().Seed)
}

func (st *synthStream) Next() (*frame.Frame, error) {
	s := st.s
	if (s.frames > 0 && st.i >= s.frames) || s.limited() {
		return nil, io.EOF
	}
	f := s.newFrame(s.w, s.h)
	f.Seq = uint64(st.i) // the drive's frame index, so drops show as gaps
	s.drive.Frame(st.i, f.Pix, nil)
	st.i++
	return f, nil
}

func (st *synthStream) Close() {}
