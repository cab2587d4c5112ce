package render

import (
	"fmt"
	"image"
	"log/slog"
	"math"
	"os"
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
	// Segment starts a new video file every Segment of video time (frames at FPS), named
	// NAME-0000.mp4, NAME-0001.mp4, …: each is finalized and checked as it closes, so a crash or
	// a power cut loses at most the open one. 0 writes one file.
	Segment time.Duration
	// RetainBytes deletes the oldest closed segments while they take more than this together;
	// 0 keeps them all.
	RetainBytes int64
	// Codec is a key of VideoCodecs ("" = the file type's default).
	Codec string
}

// Sink is the pipeline output that draws each result and writes it to the video(s), PNG
// evidence and the live viewer. It implements pipeline.Sink.
type Sink struct {
	opts    SinkOptions
	r       *Renderer
	buf     []byte
	videos  map[string]*recording
	order   []string
	pngs    int
	pngLast string
	segErr  error // the first segment that failed as it closed (reported by Close)
}

// recording is one source's video: one file, or a series of segments.
type recording struct {
	name   string // file name in Dir (with "-<source>" for several sources)
	v      *VideoWriter
	index  int      // the open segment's number
	closed []string // closed segments still on disk, oldest first
}

// NewSink prepares the renderer; video files are opened at each source's first frame.
func NewSink(opts SinkOptions) *Sink {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Sink{opts: opts, r: New(opts.Options), videos: map[string]*recording{}}
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
	rec := s.videos[src]
	if rec == nil {
		name := s.opts.Video
		if s.opts.Multi {
			ext := filepath.Ext(name)
			name = strings.TrimSuffix(name, ext) + "-" + safe(src) + ext
		}
		rec = &recording{name: name}
		s.videos[src] = rec
		s.order = append(s.order, src)
	}
	if rec.v != nil && s.opts.Segment > 0 && rec.v.Frames() >= s.framesPerSegment() {
		s.closeSegment(rec)
		rec.index++
	}
	if rec.v == nil {
		v, err := CreateVideoWith(s.segmentPath(rec), s.opts.Codec, s.opts.FPS, w, h)
		if err != nil {
			return err
		}
		rec.v = v
	}
	return rec.v.Write(s.buf, w, h) // a source that changed size mid-run is scaled into its video's size
}

// framesPerSegment is Segment in frames at the video's frame rate.
func (s *Sink) framesPerSegment() int {
	fps := s.opts.FPS
	if fps <= 0 {
		fps = 25
	}
	return max(1, int(math.Round(s.opts.Segment.Seconds()*fps)))
}

// segmentPath is the open segment's file (the plain name without segments).
func (s *Sink) segmentPath(rec *recording) string {
	name := rec.name
	if s.opts.Segment > 0 {
		ext := filepath.Ext(name)
		name = fmt.Sprintf("%s-%04d%s", strings.TrimSuffix(name, ext), rec.index, ext)
	}
	return pipeline.OutPath(s.opts.Dir, name)
}

// closeSegment finalizes and checks the open segment, then applies the retention. A segment that
// fails is logged and reported by Close; the recording goes on in the next one.
func (s *Sink) closeSegment(rec *recording) {
	v := rec.v
	rec.v = nil
	if err := v.Close(); err != nil {
		s.opts.Log.Error("video segment failed", "file", v.Path(), "err", err)
		if s.segErr == nil {
			s.segErr = err
		}
	} else {
		s.opts.Log.Debug("video segment written", "file", v.Path(), "frames", v.Frames())
	}
	rec.closed = append(rec.closed, v.Path())
	if s.opts.RetainBytes <= 0 {
		return
	}
	var total int64
	sizes := make([]int64, len(rec.closed))
	for i, p := range rec.closed {
		if st, err := os.Stat(p); err == nil {
			sizes[i] = st.Size()
			total += sizes[i]
		}
	}
	for len(rec.closed) > 1 && total > s.opts.RetainBytes {
		if err := os.Remove(rec.closed[0]); err != nil {
			s.opts.Log.Warn("old video segment not deleted", "file", rec.closed[0], "err", err)
		}
		total -= sizes[0]
		rec.closed, sizes = rec.closed[1:], sizes[1:]
	}
}

// Event implements pipeline.Sink: events go to the live viewer's data channel.
func (s *Sink) Event(_ event.Event, line []byte) error {
	if s.opts.PublishEvent != nil {
		s.opts.PublishEvent(line)
	}
	return nil
}

// Close finalizes every video (the open segment of each) and frees the renderer; it returns the
// first video or segment that failed.
func (s *Sink) Close() error {
	first := s.segErr
	for _, src := range s.order {
		rec := s.videos[src]
		if rec.v == nil {
			continue
		}
		v := rec.v
		if s.opts.Segment > 0 {
			s.closeSegment(rec)
			continue
		}
		rec.v = nil
		rec.closed = append(rec.closed, v.Path())
		if err := v.Close(); err != nil {
			s.opts.Log.Error("video failed", "file", v.Path(), "frames", v.Frames(), "err", err)
			if first == nil {
				first = err
			}
			continue
		}
		s.opts.Log.Info("video written", "file", v.Path(), "frames", v.Frames(), "codec", v.Codec())
	}
	if first == nil {
		first = s.segErr
	}
	s.r.Close()
	return first
}

// Videos returns the video files written and still on disk (after Close: all finalized), in
// order of each source's first frame, segments oldest first.
func (s *Sink) Videos() []string {
	var out []string
	for _, src := range s.order {
		rec := s.videos[src]
		out = append(out, rec.closed...)
		if rec.v != nil {
			out = append(out, rec.v.Path())
		}
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
