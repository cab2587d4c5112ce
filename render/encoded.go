package render

import (
	"errors"
	"image"
	"math"

	"gocv.io/x/gocv"

	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/record"
	"github.com/metaood/metaood/stream/vpx"
)

// DefaultVideoBitrateKbps is the WebM recording's target bitrate: under the 4 Mbit/s a rig can
// store at 1024×512 and 30 fps (about 1.35 GB per hour).
const DefaultVideoBitrateKbps = 3000

// encodedRecording encodes one source's annotated frames once with libvpx (VP8, bitrate
// controlled, a keyframe every second) and hands the packets to a record.Recorder, which writes
// the WebM segments and cuts the event clips from them.
type encodedRecording struct {
	enc      *vpx.Encoder
	rec      *record.Recorder
	w, h     int
	last     int64  // the last frame's time (ms); -1 before the first
	n        uint64 // frames given to the encoder
	pkt      []byte // the encoder's output, reused
	scaled   []byte // a frame of another size, scaled to w×h
	forceKey bool   // the last frame was lost: the next must be a keyframe
}

// newEncodedRecording opens the encoder for o.Track's size; o.Track.FPS is the nominal rate.
func newEncodedRecording(o record.Options, kbps int) (*encodedRecording, error) {
	if kbps <= 0 {
		kbps = DefaultVideoBitrateKbps
	}
	if o.Track.FPS <= 0 || o.Track.FPS > 240 {
		o.Track.FPS = 25
	}
	rec, err := record.New(o)
	if err != nil {
		return nil, errorf(ErrVideo, "%v", err)
	}
	enc, err := vpx.New(vpx.Config{W: o.Track.W, H: o.Track.H, FPS: max(1, int(math.Round(o.Track.FPS))), BitrateKbps: kbps,
		MaxQuantizer: 63}) // the bitrate is a ceiling for storage: let busy scenes get coarser
	if err != nil {
		return nil, errorf(ErrVideo, "VP8 encoder for %dx%d: %v", o.Track.W, o.Track.H, err)
	}
	return &encodedRecording{enc: enc, rec: rec, w: o.Track.W, h: o.Track.H, last: -1}, nil
}

// Write encodes one BGR frame (scaled into the recording's size when it differs) and records
// it at the time of its sequence number seq (gaps where a live source dropped frames keep the
// video in real time); it returns the clips the frame completed.
func (e *encodedRecording) Write(bgr []byte, w, h int, seq uint64) ([]record.ClipDone, error) {
	if w <= 0 || h <= 0 || len(bgr) != 3*w*h {
		return nil, errorf(ErrVideo, "frame %dx%d with %d bytes", w, h, len(bgr))
	}
	if w != e.w || h != e.h {
		var err error
		if e.scaled, err = scaleBGR(bgr, w, h, e.w, e.h, e.scaled); err != nil {
			return nil, err
		}
		bgr = e.scaled
	}
	y, u, v := e.enc.Planes()
	frame.BGRToI420(bgr, e.w, e.h, y, u, v)
	pts := max(e.rec.PTS(seq), e.last+1) // times only go forward, whatever a source numbers
	e.last = pts
	key := e.rec.WantKey(pts) || e.forceKey
	// libvpx gets a steady clock at the nominal rate: it budgets bits per frame from the gaps
	// between the times it is given, and a live source's dropped frames (irregular gaps) made it
	// overshoot (4.3 instead of 3.0 Mbit/s with a quarter dropped). The file keeps the real times.
	encPTS, dur := e.rec.PTS(e.n), int(e.rec.PTS(e.n+1)-e.rec.PTS(e.n))
	e.n++
	pkt, isKey, err := e.enc.Encode(encPTS, dur, key, e.pkt)
	if err != nil {
		if errors.Is(err, vpx.ErrCodec) && !e.forceKey { // one frame lost (e.g. libvpx's output outgrew the buffer): go on
			e.forceKey = true
			return nil, nil
		}
		return nil, errorf(ErrVideo, "encoding: %v", err)
	}
	e.pkt, e.forceKey = pkt, false
	return e.rec.Write(record.Packet{PTS: pts, Key: isKey, Data: pkt})
}

// StartClip starts a clip around the frame just written.
func (e *encodedRecording) StartClip(path string) (*record.ClipDone, error) {
	return e.rec.StartClip(path, e.last)
}

// Close finalizes the recording and the clips still open, and frees the encoder.
func (e *encodedRecording) Close() ([]record.ClipDone, error) {
	done, err := e.rec.Close()
	e.enc.Close()
	return done, err
}

// scaleBGR resizes a BGR frame to w2×h2 into dst (grown if needed).
func scaleBGR(bgr []byte, w, h, w2, h2 int, dst []byte) ([]byte, error) {
	m, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC3, bgr)
	if err != nil {
		return dst, errorf(ErrVideo, "%v", err)
	}
	defer m.Close()
	scaled := gocv.NewMat()
	defer scaled.Close()
	gocv.Resize(m, &scaled, image.Pt(w2, h2), 0, 0, gocv.InterpolationLinear)
	return append(dst[:0], scaled.ToBytes()...), nil
}
