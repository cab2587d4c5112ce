package capture

import (
	"context"
	"fmt"

	"gocv.io/x/gocv"

	"github.com/metaood/metaood/frame"
)

// imageSource reads an image, a folder of images or a glob, in name order.
type imageSource struct {
	*base
	files []string
}

func newImageSource(b *base, sp spec) (Source, error) {
	s := &imageSource{base: b, files: sp.files}
	s.live = b.opts.Realtime
	b.log.Info("images found", "spec", sp.target, "count", len(s.files), "first", s.files[0])
	return s, nil
}

// Stats returns the source's counters.
func (s *imageSource) Stats() Stats { return s.counters.Stats() }

// FPS is the pace of a realtime image sequence (Options.FPS, default 30).
func (s *imageSource) FPS() float64 { return s.opts.FPS }

// Run reads the images in order; an unreadable image is skipped with a warning and counted.
func (s *imageSource) Run(ctx context.Context, out chan<- *frame.Frame) error {
	em := s.startEmit(ctx, out)
	defer em.finish()
	tmp := gocv.NewMat()
	defer tmp.Close()
	s.up(true)
	defer s.up(false)
	s.state(StateOpened, plural(len(s.files), "image"))
	var pace *pacer
	if s.opts.Realtime {
		pace = newPacer(s.opts.FPS)
	}
	n, bad := 0, 0
	for _, file := range s.files {
		if s.limited() || (pace != nil && !pace.wait(ctx)) {
			break
		}
		m := gocv.IMRead(file, gocv.IMReadColor)
		f, err := s.fromMat(m, &tmp)
		m.Close()
		if err != nil {
			bad++
			s.fail()
			s.log.Warn("image skipped: unreadable", "file", file, "err", err)
			continue
		}
		n++
		if !em.emit(ctx, f) {
			break
		}
	}
	if n == 0 && bad > 0 && ctx.Err() == nil {
		s.state(StateEnded, "no readable image")
		return fmt.Errorf("%w: none of the %s could be read (corrupt or not images)", ErrCorrupt, plural(bad, "file"))
	}
	s.state(StateEnded, fmt.Sprintf("%s read, %d unreadable", plural(n, "image"), bad))
	return nil
}
