package capture

import (
	"context"
	"fmt"

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

func newSynthSource(b *base, sp spec) (Source, error) {
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
	s := &synthSource{base: b, drive: synth.NewDrive(cfg), w: cfg.W, h: cfg.H, frames: frames, fps: fps}
	s.live = b.opts.Realtime
	return s, nil
}

// Stats returns the source's counters.
func (s *synthSource) Stats() Stats { return s.counters.Stats() }

// FPS is the drive's frame rate (fps=, default 30).
func (s *synthSource) FPS() float64 { return s.fps }

// Run renders frames 0..frames-1 (endless with frames=0), paced at fps when Realtime.
func (s *synthSource) Run(ctx context.Context, out chan<- *frame.Frame) error {
	em := s.startEmit(ctx, out)
	defer em.finish()
	s.up(true)
	defer s.up(false)
	s.state(StateOpened, fmt.Sprintf("synthetic drive %dx%d, seed %d", s.w, s.h, s.drive.Config().Seed))
	var pace *pacer
	if s.opts.Realtime {
		pace = newPacer(s.fps)
	}
	n := 0
	for i := 0; s.frames == 0 || i < s.frames; i++ {
		if s.limited() || (pace != nil && !pace.wait(ctx)) || ctx.Err() != nil {
			break
		}
		f := s.newFrame(s.w, s.h)
		f.Seq = uint64(i) // the drive's frame index, so drops show as gaps
		s.drive.Frame(i, f.Pix, nil)
		n++
		if !em.emit(ctx, f) {
			break
		}
	}
	detail := fmt.Sprintf("end of drive after %s", plural(n, "frame"))
	if ctx.Err() != nil {
		detail = fmt.Sprintf("stopped after %s", plural(n, "frame"))
	}
	s.state(StateEnded, detail)
	return nil
}
