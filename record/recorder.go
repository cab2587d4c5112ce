package record

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"
)

// Options configure a Recorder.
type Options struct {
	Track Track
	// Video is the recording's file ("" = no recording, clips only). With Segment it is the
	// pattern: NAME.webm is written as NAME-0000.webm, NAME-0001.webm, …
	Video string
	// Segment closes the open file and starts the next every Segment of video, at a keyframe;
	// 0 = one file.
	Segment time.Duration
	// Retention deletes closed segments (Segment > 0 only).
	Retention Retention
	// ClipPre and ClipPost: a clip covers ClipPre before its moment to ClipPost after it, from
	// the keyframe at or before moment − ClipPre. Clips are possible when ClipPre + ClipPost > 0.
	ClipPre, ClipPost time.Duration
	// GOP is the keyframe interval; 0 = one second. Segments and clips are cut on keyframes, so
	// it is also their granularity.
	GOP time.Duration
	// Verify, when set, checks each finished file (e.g. decodes it back); a failure is reported.
	Verify  func(path string, frames int) error
	Metrics *Metrics // nil: not counted
	Log     *slog.Logger
	Now     func() time.Time // the clock for retention by age; nil: time.Now
}

// ClipDone reports a clip that was finalized.
type ClipDone struct {
	Path       string
	At         int64   // the moment it was asked for (ms, the packets' time)
	Start      int64   // the packets' time of its first frame (a keyframe), its time 0
	Frames     int     // packets in the clip
	DurationMS float64 // video time it covers
	Err        error   // nil: written and checked
}

// Recorder writes one source's encoded packets into segments and clips. The caller encodes:
// before each frame it asks WantKey, so keyframes fall every GOP and where a segment
// is due. Not safe for concurrent use.
type Recorder struct {
	opts    Options
	gopMs   int64
	segMs   int64 // segment length (0 = no segments)
	frameMs float64
	lastKey int64       // the last keyframe's time
	segT0   int64       // the open segment's first time
	index   int         // the open segment's number
	seg     *WebMWriter // the open segment (or the one file)
	closed  []string    // closed segments still on disk, oldest first
	ring    *Ring       // nil without clips
	clips   []*openClip
	failed  error // the first segment or clip that failed (reported by Close)
	frames  int   // packets written
}

type openClip struct {
	w   *WebMWriter
	at  int64
	end int64
}

// New checks o and returns a recorder; files are created as packets arrive.
func New(o Options) (*Recorder, error) {
	switch {
	case o.Track.W < 1 || o.Track.H < 1:
		return nil, fmt.Errorf("%w: frame size %dx%d", ErrOptions, o.Track.W, o.Track.H)
	case o.Segment < 0 || o.ClipPre < 0 || o.ClipPost < 0 || o.GOP < 0:
		return nil, fmt.Errorf("%w: negative segment, clip or keyframe interval", ErrOptions)
	case o.Segment == 0 && (o.Retention.MaxBytes > 0 || o.Retention.MaxAge > 0):
		return nil, fmt.Errorf("%w: retention applies to segments; set a segment length", ErrOptions)
	}
	if o.Track.FPS <= 0 || o.Track.FPS > 1000 {
		o.Track.FPS = 25
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &Recorder{opts: o, gopMs: o.GOP.Milliseconds(), segMs: o.Segment.Milliseconds(), frameMs: 1000 / o.Track.FPS}
	if r.gopMs <= 0 {
		r.gopMs = 1000
	}
	if o.ClipPre+o.ClipPost > 0 {
		r.ring = &Ring{Keep: o.ClipPre.Milliseconds()}
	}
	return r, nil
}

// PTS is the presentation time in milliseconds of frame i at the track's frame rate. A source's
// frame sequence numbers have gaps where frames were dropped, so their times stay real.
func (r *Recorder) PTS(i uint64) int64 { return int64(math.Round(float64(i) * r.frameMs)) }

// WantKey reports whether the frame at time pts must be a keyframe: the first, one GOP after
// the last, and where the open segment is full.
func (r *Recorder) WantKey(pts int64) bool {
	return r.frames == 0 || pts-r.lastKey >= r.gopMs || r.segmentFull(pts)
}

// segmentFull reports that the frame at pts belongs in the next segment (half a frame of
// tolerance for times rounded to milliseconds).
func (r *Recorder) segmentFull(pts int64) bool {
	return r.segMs > 0 && r.seg != nil && float64(pts-r.segT0) >= float64(r.segMs)-r.frameMs/2
}

// Write records one packet (the recorder copies p.Data) and returns the clips that it
// completed. An error is the recording's: the segment could not be created or written.
// Clip failures are logged, returned in ClipDone and reported again by Close.
func (r *Recorder) Write(p Packet) ([]ClipDone, error) {
	p.Data = slices.Clone(p.Data)
	r.frames++
	if p.Key {
		r.lastKey = p.PTS
	}
	if r.ring != nil {
		r.ring.Push(p)
	}
	done := r.feedClips(p)
	if r.opts.Video == "" {
		return done, nil
	}
	if p.Key && r.segmentFull(p.PTS) {
		r.closeSegment()
		r.index++
	}
	if r.seg == nil {
		if !p.Key {
			return done, nil // a segment starts at a keyframe (after a failed one, the next)
		}
		path := r.opts.Video
		if r.segMs > 0 {
			path = SegmentPath(path, r.index)
		}
		w, err := CreateWebM(path, r.opts.Track)
		if err != nil {
			return done, err
		}
		r.seg, r.segT0 = w, p.PTS
	}
	if err := r.seg.Write(p); err != nil {
		return done, err
	}
	r.opts.Metrics.addBytes("segment", len(p.Data))
	return done, nil
}

// feedClips appends p to every open clip and closes those it completes.
func (r *Recorder) feedClips(p Packet) []ClipDone {
	var done []ClipDone
	keep := r.clips[:0]
	for _, c := range r.clips {
		if err := c.w.Write(p); err != nil {
			done = append(done, r.finishClip(c, err))
			continue
		}
		r.opts.Metrics.addBytes("clip", len(p.Data))
		if float64(p.PTS)+r.frameMs >= float64(c.end) {
			done = append(done, r.finishClip(c, nil))
			continue
		}
		keep = append(keep, c)
	}
	clear(r.clips[len(keep):])
	r.clips = keep
	return done
}

// StartClip starts a clip at path around moment at (ms, the time of a packet already written):
// the packets from the keyframe at or before at − ClipPre come from the ring, the ones up to
// at + ClipPost follow as they are written. A clip whose post-roll is already covered (ClipPost
// 0) is finished at once and returned.
func (r *Recorder) StartClip(path string, at int64) (*ClipDone, error) {
	if r.ring == nil {
		return nil, fmt.Errorf("%w: clips are off (no pre- or post-roll)", ErrOptions)
	}
	pkts := r.ring.From(at - r.opts.ClipPre.Milliseconds())
	if len(pkts) == 0 {
		return nil, fmt.Errorf("%w: %s: no keyframe recorded yet", ErrWebM, path)
	}
	w, err := CreateWebM(path, r.opts.Track)
	if err != nil {
		r.keepFailure(err)
		return nil, err
	}
	c := &openClip{w: w, at: at, end: at + r.opts.ClipPost.Milliseconds()}
	for _, p := range pkts {
		if float64(p.PTS) >= float64(c.end) {
			break
		}
		if err := w.Write(p); err != nil {
			d := r.finishClip(c, err)
			return &d, err
		}
		r.opts.Metrics.addBytes("clip", len(p.Data))
	}
	if last := pkts[len(pkts)-1]; float64(last.PTS)+r.frameMs >= float64(c.end) {
		d := r.finishClip(c, nil)
		return &d, d.Err
	}
	r.clips = append(r.clips, c)
	return nil, nil
}

// finishClip closes and checks a clip.
func (r *Recorder) finishClip(c *openClip, err error) ClipDone {
	cerr := c.w.Close()
	if err == nil {
		err = cerr
	}
	if err == nil && r.opts.Verify != nil {
		err = r.opts.Verify(c.w.Path(), c.w.Frames())
	}
	d := ClipDone{Path: c.w.Path(), At: c.at, Start: c.w.Start(), Frames: c.w.Frames(), DurationMS: c.w.Duration(), Err: err}
	r.opts.Metrics.file("clip", err)
	if err != nil {
		r.opts.Log.Error("event clip failed", "file", d.Path, "err", err)
		r.keepFailure(err)
	} else {
		r.opts.Log.Debug("event clip written", "file", d.Path, "frames", d.Frames, "duration_ms", d.DurationMS)
	}
	return d
}

// closeSegment finalizes and checks the open segment, then applies the retention. A failed
// segment is logged and reported by Close; the recording goes on in the next one.
func (r *Recorder) closeSegment() {
	w := r.seg
	r.seg = nil
	err := w.Close()
	if err == nil && r.opts.Verify != nil {
		err = r.opts.Verify(w.Path(), w.Frames())
	}
	r.opts.Metrics.file("segment", err)
	if err != nil {
		r.opts.Log.Error("video segment failed", "file", w.Path(), "err", err)
		r.keepFailure(err)
	} else {
		r.opts.Log.Debug("video segment written", "file", w.Path(), "frames", w.Frames(), "bytes", w.Size())
	}
	r.closed = append(r.closed, w.Path())
	kept, deleted, err := r.opts.Retention.Apply(r.closed, r.opts.Now())
	r.closed = kept
	for _, d := range deleted {
		r.opts.Metrics.deleted(d.Why)
		r.opts.Log.Debug("old video segment deleted", "file", d.Path, "why", d.Why)
	}
	if err != nil {
		r.opts.Log.Warn("old video segment not deleted", "err", err)
	}
}

func (r *Recorder) keepFailure(err error) {
	if r.failed == nil {
		r.failed = err
	}
}

// Files returns the recording's files still on disk, oldest first (the open one last).
func (r *Recorder) Files() []string {
	out := slices.Clone(r.closed)
	if r.seg != nil {
		out = append(out, r.seg.Path())
	}
	return out
}

// Close finalizes the open segment (checked, retention applied) and the clips still open (cut
// short: the run ended before their post-roll), and returns them with the first failure of the
// recorder's life.
func (r *Recorder) Close() ([]ClipDone, error) {
	var done []ClipDone
	for _, c := range r.clips {
		done = append(done, r.finishClip(c, nil))
	}
	r.clips = nil
	if r.seg != nil {
		r.closeSegment()
	}
	if r.failed != nil && !errors.Is(r.failed, ErrWebM) {
		return done, fmt.Errorf("%w: %w", ErrWebM, r.failed)
	}
	return done, r.failed
}
