package render

import (
	"fmt"
	"image"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/pipeline"
)

// SinkOptions configure the annotated-frame output of a run.
type SinkOptions struct {
	Dir      string  // output folder
	Video    string  // video file name in Dir ("" = no video); several sources get "-<source>" added
	FPS      float64 // video frame rate (default 25)
	Multi    bool    // several sources: one video per source
	Corridor event.Corridor
	// EvidenceEvery saves every Nth annotated frame (and every emergency frame) as PNG in
	// Dir/frames; 0 = none.
	EvidenceEvery int
	// PublishFrame and PublishEvent feed the live viewer (stream.Server); may be nil.
	PublishFrame func(source string, seq uint64, captured time.Time, w, h int, bgr []byte)
	PublishEvent func(msg []byte)
	Options      Options
	Log          *slog.Logger
}

// Sink is the pipeline output that draws each result and writes it to the video(s), PNG
// evidence and the live viewer. It implements pipeline.Sink.
type Sink struct {
	opts    SinkOptions
	r       *Renderer
	buf     []byte
	videos  map[string]*VideoWriter
	order   []string
	pngs    int
	pngLast string
}

// NewSink prepares the renderer; video files are opened at each source's first frame.
func NewSink(opts SinkOptions) *Sink {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Sink{opts: opts, r: New(opts.Options), videos: map[string]*VideoWriter{}}
}

func (s *Sink) active() bool {
	return s.opts.Video != "" || s.opts.EvidenceEvery > 0 || s.opts.PublishFrame != nil
}

// Frame implements pipeline.Sink.
func (s *Sink) Frame(res *pipeline.Result) error {
	if !s.active() {
		return nil
	}
	f := res.Frame
	sc := Scene{W: f.W, H: f.H, Pix: f.Pix, Emergency: res.Emergency, FPS: res.FPS, Latency: res.Latency,
		Label: fmt.Sprintf("%s #%d", f.Source, f.Seq)}
	if a := res.Analysis; a != nil {
		sc.Entropy, sc.MapW, sc.MapH = a.Entropy, a.W, a.H
	}
	if res.Err != nil {
		sc.Err = firstLine(res.Err.Error(), 80)
	}
	for i, a := range res.Anomalies {
		sc.Boxes = append(sc.Boxes, Box{ID: a.ID, Rect: image.Rect(a.BBox[0], a.BBox[1], a.BBox[0]+a.BBox[2], a.BBox[1]+a.BBox[3]),
			PFP: a.PFP, Kept: res.Kept[i], InCorridor: a.InCorridor})
	}
	for _, p := range s.opts.Corridor {
		sc.Corridor = append(sc.Corridor, image.Pt(int(p.X*float64(f.W-1)+0.5), int(p.Y*float64(f.H-1)+0.5)))
	}
	var err error
	if s.buf, err = s.r.Render(&sc, s.buf); err != nil {
		return err
	}
	if s.opts.Video != "" {
		if err := s.write(f.Source, f.W, f.H); err != nil {
			return err
		}
	}
	if s.opts.PublishFrame != nil {
		s.opts.PublishFrame(f.Source, f.Seq, f.Captured, f.W, f.H, s.buf)
	}
	if n := s.opts.EvidenceEvery; n > 0 && (f.Seq%uint64(n) == 0 || (res.Emergency && s.pngs < 200)) {
		p := filepath.Join(s.opts.Dir, "frames", fmt.Sprintf("%s-%06d.png", safe(f.Source), f.Seq))
		if err := SaveImage(p, s.buf, f.W, f.H); err != nil {
			return err
		}
		s.pngs++
		s.pngLast = p
	}
	return nil
}

func (s *Sink) write(src string, w, h int) error {
	v := s.videos[src]
	if v == nil {
		name := s.opts.Video
		if s.opts.Multi {
			ext := filepath.Ext(name)
			name = strings.TrimSuffix(name, ext) + "-" + safe(src) + ext
		}
		var err error
		if v, err = CreateVideo(pipeline.OutPath(s.opts.Dir, name), s.opts.FPS, w, h); err != nil {
			return err
		}
		s.videos[src] = v
		s.order = append(s.order, src)
	}
	return v.Write(s.buf, w, h) // a source that changed size mid-run is scaled into its video's size
}

// Event implements pipeline.Sink: events go to the live viewer's data channel.
func (s *Sink) Event(_ event.Event, line []byte) error {
	if s.opts.PublishEvent != nil {
		s.opts.PublishEvent(line)
	}
	return nil
}

// Close finalizes every video and frees the renderer.
func (s *Sink) Close() error {
	var first error
	for _, src := range s.order {
		v := s.videos[src]
		if err := v.Close(); err != nil {
			s.opts.Log.Error("video failed", "file", v.Path(), "frames", v.Frames(), "err", err)
			if first == nil {
				first = err
			}
			continue
		}
		s.opts.Log.Info("video written", "file", v.Path(), "frames", v.Frames())
	}
	s.r.Close()
	return first
}

// Videos returns the video files written (after Close: finalized), in order of first frame.
func (s *Sink) Videos() []string {
	var out []string
	for _, src := range s.order {
		out = append(out, s.videos[src].Path())
	}
	return out
}

// Evidence returns how many PNG frames were saved and the last one's path.
func (s *Sink) Evidence() (int, string) { return s.pngs, s.pngLast }

// safe makes a source id usable in a file name.
func safe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r == ' ' {
			return '_'
		}
		return r
	}, s)
}

func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
