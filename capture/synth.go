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
	first  int // the drive's frames first, first+step, …
	step   int
}

func newSynthSource(b *base, sp spec) (frame.Source, error) {
	d, err := synth.ParseSpec(sp.target)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSpec, err)
	}
	frames, fps := d.Frames, d.FPS
	if frames < 0 {
		frames = DefaultSynthFrames
	}
	if fps == 0 {
		fps = 30
	}
	return &synthSource{base: b, drive: synth.NewDrive(d.Config), w: d.Config.W, h: d.Config.H, frames: frames, fps: fps,
		first: d.First, step: d.Step}, nil
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
	k := s.first + st.i*s.step
	f.Seq = uint64(k) // the drive's frame index, so drops show as gaps
	s.drive.Frame(k, f.Pix, nil)
	st.i++
	return f, nil
}

func (st *synthStream) Close() {}
