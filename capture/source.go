// Package capture is the device adapter: it turns video files, image folders and globs,
// cameras, network URLs, GStreamer pipelines and synthetic drives into frame.Source values
// whose streams yield frames (BGR24 in pooled Go buffers, stamped with source id, sequence
// number and capture time). cgo (gocv) stays inside: no gocv.Mat leaves this package.
//
// Opening again after a loss, pacing, the newest-wins slot and source-state events are not
// here: the pipeline's supervisor owns them for every kind of source (frame.Mode says how).
package capture

import (
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/metaood/metaood/frame"
)

// Open parses spec and prepares the source; files are checked (a missing or corrupt video is
// reported here), live devices are connected by the source's Open. log may be nil.
//
// spec: "synth" or "synth:seed=3,frames=600,size=1024x512,fps=30,anomalies=1"; a video file;
// an image, a folder of images or a glob (sorted by name); "cam:0", "cam:/dev/video0" or
// "/dev/video0", optionally ",size=1280x720,fps=30"; an rtsp:// rtmp:// http(s):// tcp:// udp://
// srt:// URL (OpenCV's FFMPEG backend); "gst:<pipeline>". A prefix "id=" names the source.
func Open(spec string, opts Options, log *slog.Logger) (frame.Source, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	sp, err := parseSpec(spec)
	if err != nil {
		return nil, err
	}
	if opts.ID != "" {
		sp.id = opts.ID
	}
	b := &base{id: sp.id, opts: opts, counters: newCounters(opts.Registry, sp.id), mode: frame.Replay}
	if opts.Realtime {
		b.mode = frame.Paced
	}
	b.log = logOrDiscard(log).With("stage", "capture", "source", sp.id)
	switch sp.kind {
	case kindSynth:
		return newSynthSource(b, sp)
	case kindVideo:
		return newVideoSource(b, sp)
	case kindImages:
		return newImageSource(b, sp)
	default:
		b.mode = frame.Device
		return newLiveSource(b, sp)
	}
}

// base is what every source shares: id, mode, options, counters, sequence numbers.
type base struct {
	id   string
	mode frame.Mode
	opts Options
	log  *slog.Logger
	*counters
	seq atomic.Uint64 // across reopens, so that a reconnect does not restart the numbering
}

func (b *base) ID() string           { return b.id }
func (b *base) Mode() frame.Mode     { return b.mode }
func (b *base) Stats() Stats         { return b.counters.Stats() }
func (b *base) Logger() *slog.Logger { return b.log }

// newFrame stamps a pooled frame of w×h; the caller fills Pix.
func (b *base) newFrame(w, h int) *frame.Frame {
	b.frame()
	return &frame.Frame{Source: b.id, Seq: b.seq.Add(1) - 1, Captured: time.Now(), W: w, H: h, Pix: getBuf(3 * w * h)}
}

// limited reports whether Options.Limit frames were produced.
func (b *base) limited() bool {
	return b.opts.Limit > 0 && b.seq.Load() >= uint64(b.opts.Limit)
}

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
