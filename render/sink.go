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
	"github.com/metaood/metaood/record"
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
	// Codec is a key of VideoCodecs ("" = the file type's default). A .webm video is encoded
	// with libvpx at VideoBitrateKbps instead (OpenCV's writer has no bitrate control).
	Codec string
	// VideoBitrateKbps is the .webm recording's and the clips' target bitrate; 0 = DefaultVideoBitrateKbps.
	VideoBitrateKbps int
	// RetainAge deletes closed segments older than this; 0 keeps them.
	RetainAge time.Duration
	// ClipPre and ClipPost: each emergency gets a WebM clip in Dir/clips from ClipPre before it to
	// ClipPost after it (cut from the encoded packets, from the keyframe at or before the start)
	// and a JPEG snapshot of its annotated frame in Dir/snapshots; their paths go into the
	// emergency event, and a "clip" event follows when the clip is complete. Both 0: no clips,
	// no snapshots.
	ClipPre, ClipPost time.Duration
	// ClipRetainBytes and ClipRetainAge bound the completed clips on disk as RetainBytes and
	// RetainAge do the segments; a clip's snapshot goes with it. 0 keeps them.
	ClipRetainBytes int64
	ClipRetainAge   time.Duration
	// Metrics counts the recording's bytes and files; nil: not counted.
	Metrics *record.Metrics
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
	segErr  error    // the first segment that failed as it closed (reported by Close)
	clips   []string // every clip completed
	onDisk  []string // the completed clips retention has not deleted, oldest first
	snaps   int
}

// recording is one source's video: one file, or a series of segments.
type recording struct {
	name   string // file name in Dir (with "-<source>" for several sources)
	v      *VideoWriter
	index  int      // the open segment's number
	closed []string // closed segments still on disk, oldest first
	// enc encodes the WebM recording and feeds the clips (nil: neither). With a video of another
	// format and clips on, it runs beside v for the clips alone.
	enc   *encodedRecording
	clips map[string]openClip // open clip path → its emergency
}

// NewSink prepares the renderer; video files are opened at each source's first frame.
func NewSink(opts SinkOptions) *Sink {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Sink{opts: opts, r: New(opts.Options), videos: map[string]*recording{}}
}

func (s *Sink) active() bool {
	return s.opts.Video != "" || s.opts.EvidenceEvery > 0 || s.opts.PublishFrame != nil || s.clipsOn()
}

func (s *Sink) clipsOn() bool { return s.opts.ClipPre+s.opts.ClipPost > 0 }

// webm reports a video written by the libvpx recorder.
func (s *Sink) webm() bool { return strings.EqualFold(filepath.Ext(s.opts.Video), ".webm") }

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
	if s.opts.Video != "" || s.clipsOn() {
		if err := s.write(res); err != nil {
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

func (s *Sink) write(res *pipeline.Result) error {
	f := res.Frame
	rec := s.videos[f.Source]
	if rec == nil {
		name := s.opts.Video
		if s.opts.Multi {
			ext := filepath.Ext(name)
			name = strings.TrimSuffix(name, ext) + "-" + safe(f.Source) + ext
		}
		rec = &recording{name: name, clips: map[string]openClip{}}
		s.videos[f.Source] = rec
		s.order = append(s.order, f.Source)
	}
	if s.opts.Video != "" && !s.webm() {
		if err := s.writeOpenCV(rec, f.W, f.H); err != nil {
			return err
		}
	}
	if !s.webm() && !s.clipsOn() {
		return nil
	}
	if rec.enc == nil {
		o := record.Options{Track: record.Track{W: f.W, H: f.H, FPS: s.opts.FPS}, Segment: s.opts.Segment,
			Retention: record.Retention{MaxBytes: s.opts.RetainBytes, MaxAge: s.opts.RetainAge},
			ClipPre:   s.opts.ClipPre, ClipPost: s.opts.ClipPost, Verify: VerifyVideo, Metrics: s.opts.Metrics, Log: s.opts.Log}
		if s.webm() {
			o.Video = pipeline.OutPath(s.opts.Dir, rec.name)
		} else {
			o.Segment, o.Retention = 0, record.Retention{}
		}
		enc, err := newEncodedRecording(o, s.opts.VideoBitrateKbps)
		if err != nil {
			return err
		}
		rec.enc = enc
	}
	done, err := rec.enc.Write(s.buf, f.W, f.H, f.Seq)
	s.clipsDone(rec, res, done)
	if err != nil {
		return err
	}
	if s.clipsOn() {
		s.emergencyMedia(rec, res)
	}
	return nil
}

// emergencyMedia starts a clip and saves a snapshot for each emergency of the frame just
// written, and puts their paths (relative to Dir) into the emergency events: the pipeline hands
// a frame to every sink before it emits the frame's events.
func (s *Sink) emergencyMedia(rec *recording, res *pipeline.Result) {
	for _, e := range res.Events {
		em, ok := e.(*event.Emergency)
		if !ok {
			continue
		}
		base := fmt.Sprintf("%s-%06d", safe(em.Source), em.Frame)
		snap := filepath.Join("snapshots", base+".jpg")
		if err := SaveImage(filepath.Join(s.opts.Dir, snap), s.buf, res.Frame.W, res.Frame.H); err != nil {
			s.opts.Log.Error("emergency snapshot failed", "file", snap, "err", err)
			if s.segErr == nil {
				s.segErr = err
			}
		} else {
			em.Snapshot = snap
			s.snaps++
		}
		clip := filepath.Join("clips", base+".webm")
		d, err := rec.enc.StartClip(filepath.Join(s.opts.Dir, clip))
		if err != nil {
			continue // logged and kept by the recorder
		}
		em.Clip = clip
		rec.clips[filepath.Join(s.opts.Dir, clip)] = openClip{frame: em.Frame, id: em.ID}
		if d != nil { // no post-roll: complete at once
			s.clipsDone(rec, res, []record.ClipDone{*d})
		}
	}
}

// openClip is the emergency a clip being recorded belongs to.
type openClip struct {
	frame uint64
	id    string // the emergency event's id
}

// clipsDone adds a "clip" event to the frame's events for each clip completed.
func (s *Sink) clipsDone(rec *recording, res *pipeline.Result, done []record.ClipDone) {
	for _, d := range done {
		em, ok := rec.clips[d.Path]
		delete(rec.clips, d.Path)
		if !ok || d.Err != nil {
			continue
		}
		rel, err := filepath.Rel(s.opts.Dir, d.Path)
		if err != nil {
			rel = d.Path
		}
		s.clips = append(s.clips, d.Path)
		s.retainClips(d.Path)
		f := res.Frame
		res.Events = append(res.Events, &event.Clip{
			Header: event.Header{Type: event.TypeClip, Source: f.Source, Frame: f.Seq, CaptureTS: event.At(f.Captured)},
			Clip:   rel, EmergencyFrame: em.frame, EmergencyID: em.id, DurationMS: math.Round(d.DurationMS*1000) / 1000, Frames: d.Frames,
		})
	}
}

// retainClips adds a completed clip to those on disk and deletes what the clip retention rules
// out, each clip with its snapshot.
func (s *Sink) retainClips(path string) {
	s.onDisk = append(s.onDisk, path)
	kept, deleted, err := record.Retention{MaxBytes: s.opts.ClipRetainBytes, MaxAge: s.opts.ClipRetainAge}.Apply(s.onDisk, time.Now())
	s.onDisk = kept
	for _, d := range deleted {
		snap := filepath.Join(s.opts.Dir, "snapshots", strings.TrimSuffix(filepath.Base(d.Path), filepath.Ext(d.Path))+".jpg")
		if rerr := os.Remove(snap); rerr != nil && !os.IsNotExist(rerr) && err == nil {
			err = rerr
		}
		s.opts.Log.Debug("old emergency clip deleted", "file", d.Path, "why", d.Why)
	}
	if err != nil {
		s.opts.Log.Warn("old emergency clip not deleted", "err", err)
	}
}

// writeOpenCV writes the frame through OpenCV's VideoWriter (mp4, avi, mkv).
func (s *Sink) writeOpenCV(rec *recording, w, h int) error {
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
	path := pipeline.OutPath(s.opts.Dir, rec.name)
	if s.opts.Segment > 0 {
		path = record.SegmentPath(path, rec.index)
	}
	return path
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
	kept, _, err := record.Retention{MaxBytes: s.opts.RetainBytes, MaxAge: s.opts.RetainAge}.Apply(rec.closed, time.Now())
	rec.closed = kept
	if err != nil {
		s.opts.Log.Warn("old video segment not deleted", "err", err)
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
		if rec.enc != nil {
			cut, err := rec.enc.Close()
			for _, d := range cut {
				if _, ok := rec.clips[d.Path]; ok && d.Err == nil {
					s.clips = append(s.clips, d.Path)
					s.retainClips(d.Path)
					s.opts.Log.Info("event clip cut short by the end of the run", "file", d.Path, "duration_ms", d.DurationMS)
				}
			}
			if err != nil {
				s.opts.Log.Error("video recording failed", "source", src, "err", err)
				if first == nil {
					first = err
				}
			} else if s.webm() {
				s.opts.Log.Info("video written", "files", rec.enc.rec.Files(), "codec", "VP8/WebM")
			}
		}
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
		if rec.enc != nil && s.webm() {
			out = append(out, rec.enc.rec.Files()...)
		}
	}
	return out
}

// Clips returns the event clips written (after Close: all finalized), and how many snapshots.
func (s *Sink) Clips() (clips []string, snapshots int) { return s.clips, s.snaps }

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
