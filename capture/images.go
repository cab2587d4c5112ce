package capture

import (
	"fmt"
	"io"

	"gocv.io/x/gocv"

	"github.com/metaood/metaood/frame"
)

// imageSource reads an image, a folder of images or a glob, in name order.
type imageSource struct {
	*base
	files []string
}

func newImageSource(b *base, sp spec) (frame.Source, error) {
	s := &imageSource{base: b, files: sp.files}
	b.log.Info("images found", "spec", sp.target, "count", len(s.files), "first", s.files[0])
	return s, nil
}

// FPS is the pace of a realtime image sequence (Options.FPS, default 30).
func (s *imageSource) FPS() float64 { return s.opts.FPS }

// Open starts at the first image.
func (s *imageSource) Open() (frame.Stream, error) {
	return &imageStream{s: s, tmp: gocv.NewMat()}, nil
}

type imageStream struct {
	s      *imageSource
	tmp    gocv.Mat
	next   int // index of the next file
	n, bad int
}

func (st *imageStream) Describe() string { return plural(len(st.s.files), "image") }

// Next reads the next readable image; an unreadable one is skipped with a warning that names
// it, and counted. A frame's Seq is its file's index, so a skipped file shows as a gap.
func (st *imageStream) Next() (*frame.Frame, error) {
	s := st.s
	for st.next < len(s.files) && !s.limited() {
		i, file := st.next, s.files[st.next]
		st.next++
		m := gocv.IMRead(file, gocv.IMReadColor)
		f, err := s.fromMat(m, &st.tmp)
		m.Close()
		if err != nil {
			st.bad++
			s.fail()
			s.log.Warn("image skipped: unreadable", "file", file, "index", i, "err", err)
			continue
		}
		f.Seq = uint64(i)
		st.n++
		return f, nil
	}
	if st.n == 0 && st.bad > 0 {
		return nil, fmt.Errorf("%w: none of the %s could be read (corrupt or not images)", ErrCorrupt, plural(st.bad, "file"))
	}
	return nil, io.EOF
}

func (st *imageStream) Close() { st.tmp.Close() }
