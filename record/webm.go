package record

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// Packet is one encoded video frame.
type Packet struct {
	PTS  int64 // presentation time in milliseconds, increasing
	Key  bool  // a keyframe: decoding can start here
	Data []byte
}

// Track describes the one video track of a WebM file.
type Track struct {
	W, H  int
	FPS   float64 // nominal frame rate (the track's default frame duration)
	Codec string  // Matroska codec ID; "" = V_VP8
}

// maxClusterMs bounds a cluster's span: block times are 16-bit offsets from the cluster's.
const maxClusterMs = 30_000

// WebMWriter writes one video track into a WebM (Matroska) file: EBML header, Segment, Info,
// Tracks, then Clusters of SimpleBlocks, each cluster starting at a keyframe. Times in the file
// start at 0 with its first packet (a player shows every segment and clip from 0:00); Close adds the
// Cues (keyframe index for seeking), the Duration and the SeekHead, patches the Segment's size
// and syncs the file. A cluster is written whole when the next one starts, so a file cut short
// by a crash holds every earlier cluster and still plays up to there. Not safe for concurrent
// use.
type WebMWriter struct {
	path      string
	f         *os.File
	track     Track
	segStart  int64 // file offset of the Segment's payload (positions in SeekHead and Cues count from it)
	seekAt    int64 // offset of the space kept for the SeekHead
	seekLen   int
	durAt     int64 // offset of the space kept for the Duration
	off       int64 // bytes written so far
	infoPos   int64 // Info's and Tracks' positions in the Segment
	trackPos  int64
	cluster   []byte // the open cluster's blocks
	clusterTC int64  // its time (ms)
	open      bool   // a cluster is open
	cues      []cue
	frames    int
	first     int64 // first and last PTS written (the first is the file's time 0)
	last      int64
	err       error // the first write error; every later call returns it
}

type cue struct{ time, pos int64 }

// CreateWebM creates path (and its folder) and writes the header for t. The first packet
// written must be a keyframe.
func CreateWebM(path string, t Track) (*WebMWriter, error) {
	if t.W < 1 || t.H < 1 {
		return nil, fmt.Errorf("%w: %s: track size %dx%d", ErrWebM, path, t.W, t.H)
	}
	if t.Codec == "" {
		t.Codec = "V_VP8"
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWebM, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWebM, err)
	}
	w := &WebMWriter{path: path, f: f, track: t}
	var b []byte
	b = appendMaster(b, idEBML, func() []byte {
		var h []byte
		h = appendUint(h, idEBMLVersion, 1)
		h = appendUint(h, idEBMLReadVersion, 1)
		h = appendUint(h, idEBMLMaxIDLength, 4)
		h = appendUint(h, idEBMLMaxSizeLength, 8)
		h = appendString(h, idDocType, "webm")
		h = appendUint(h, idDocTypeVersion, 2)
		h = appendUint(h, idDocTypeReadVersion, 2)
		return h
	}())
	b = appendID(b, idSegment)
	b = append(b, unknownSize...)
	w.segStart = int64(len(b))
	w.seekAt, w.seekLen = int64(len(b)), len(w.seekHead(0))
	b = appendVoid(b, w.seekLen)

	w.infoPos = int64(len(b)) - w.segStart
	info := appendUint(nil, idTimecodeScale, 1_000_000) // block times in milliseconds
	info = appendString(info, idMuxingApp, "metaood")
	info = appendString(info, idWritingApp, "metaood")
	durAtInInfo := len(info)
	info = appendVoid(info, 11) // the Duration (2-byte ID, size, float64) goes here at Close
	b = appendID(b, idInfo)
	b = appendSize(b, uint64(len(info)))
	w.durAt = int64(len(b) + durAtInInfo)
	b = append(b, info...)

	w.trackPos = int64(len(b)) - w.segStart
	video := appendUint(nil, idPixelWidth, uint64(t.W))
	video = appendUint(video, idPixelHeight, uint64(t.H))
	entry := appendUint(nil, idTrackNumber, 1)
	entry = appendUint(entry, idTrackUID, 1)
	entry = appendUint(entry, idTrackType, 1) // video
	entry = appendUint(entry, idFlagLacing, 0)
	if t.FPS > 0 && t.FPS <= 1000 {
		entry = appendUint(entry, idDefaultDuration, uint64(math.Round(1e9/t.FPS)))
	}
	entry = appendString(entry, idCodecID, t.Codec)
	entry = appendMaster(entry, idVideo, video)
	b = appendMaster(b, idTracks, appendMaster(nil, idTrackEntry, entry))
	w.write(b)
	if w.err != nil {
		f.Close()
		os.Remove(path)
		return nil, w.err
	}
	return w, nil
}

// seekHead is the SeekHead naming Info, Tracks and the Cues at cuesPos, with 8-byte positions
// so that its length does not depend on them.
func (w *WebMWriter) seekHead(cuesPos int64) []byte {
	var body []byte
	for _, s := range []struct {
		id  uint32
		pos int64
	}{{idInfo, w.infoPos}, {idTracks, w.trackPos}, {idCues, cuesPos}} {
		e := appendString(nil, idSeekID, string(appendID(nil, s.id)))
		e = appendUint8(e, idSeekPosition, uint64(s.pos))
		body = appendMaster(body, idSeek, e)
	}
	return appendMaster(nil, idSeekHead, body)
}

func (w *WebMWriter) write(b []byte) {
	if w.err != nil {
		return
	}
	n, err := w.f.Write(b)
	w.off += int64(n)
	if err != nil {
		w.err = fmt.Errorf("%w: %s: %v", ErrWebM, w.path, err)
	}
}

// Write appends one packet. The first must be a keyframe; PTS must not go back.
func (w *WebMWriter) Write(p Packet) error {
	switch {
	case w.err != nil:
		return w.err
	case w.f == nil:
		return fmt.Errorf("%w: %s: write after Close", ErrWebM, w.path)
	case w.frames == 0 && !p.Key:
		return fmt.Errorf("%w: %s: the first packet must be a keyframe", ErrWebM, w.path)
	case w.frames > 0 && p.PTS < w.last:
		return fmt.Errorf("%w: %s: time went back from %d to %d ms", ErrWebM, w.path, w.last, p.PTS)
	}
	if w.frames == 0 {
		w.first = p.PTS
	}
	t := p.PTS - w.first
	if !w.open || p.Key || t-w.clusterTC > maxClusterMs {
		w.flushCluster()
		w.open, w.clusterTC = true, t
		if p.Key {
			w.cues = append(w.cues, cue{time: t, pos: w.off - w.segStart})
		}
	}
	flags := byte(0)
	if p.Key {
		flags = 0x80
	}
	rel := t - w.clusterTC
	block := []byte{0x81, byte(rel >> 8), byte(rel), flags} // track 1, 16-bit time, flags
	w.cluster = appendID(w.cluster, idSimpleBlock)
	w.cluster = appendSize(w.cluster, uint64(len(block)+len(p.Data)))
	w.cluster = append(append(w.cluster, block...), p.Data...)
	w.frames++
	w.last = p.PTS
	return w.err
}

// flushCluster writes the open cluster, whole.
func (w *WebMWriter) flushCluster() {
	if !w.open {
		return
	}
	b := appendID(nil, idCluster)
	body := appendUint(nil, idTimecode, uint64(w.clusterTC))
	b = appendSize(b, uint64(len(body)+len(w.cluster)))
	b = append(b, body...)
	w.write(b)
	w.write(w.cluster)
	w.cluster, w.open = w.cluster[:0], false
}

// Frames returns how many packets were written.
func (w *WebMWriter) Frames() int { return w.frames }

// Path returns the file name.
func (w *WebMWriter) Path() string { return w.path }

// Start returns the PTS of the first packet written: the file's time 0.
func (w *WebMWriter) Start() int64 { return w.first }

// Size returns the bytes written to the file so far (the open cluster not included).
func (w *WebMWriter) Size() int64 { return w.off }

// Duration is the time covered so far: from the first packet to the end of the last one
// (one nominal frame).
func (w *WebMWriter) Duration() float64 {
	if w.frames == 0 {
		return 0
	}
	return float64(w.last-w.first) + w.frameMs()
}

func (w *WebMWriter) frameMs() float64 {
	if w.track.FPS > 0 && w.track.FPS <= 1000 {
		return 1000 / w.track.FPS
	}
	return 0
}

// Close writes the last cluster, the Cues, the Duration and the SeekHead, patches the
// Segment's size, syncs and closes the file. It is safe to call twice.
func (w *WebMWriter) Close() error {
	if w.f == nil {
		return w.err
	}
	w.flushCluster()
	cuesPos := w.off - w.segStart
	var cues []byte
	for _, c := range w.cues {
		pos := appendUint(nil, idCueTrack, 1)
		pos = appendUint(pos, idCueClusterPosition, uint64(c.pos))
		point := appendUint(nil, idCueTime, uint64(c.time))
		point = appendMaster(point, idCueTrackPositions, pos)
		cues = appendMaster(cues, idCuePoint, point)
	}
	if len(cues) > 0 {
		w.write(appendMaster(nil, idCues, cues))
	} else {
		cuesPos = 0
	}
	if w.err == nil {
		w.patch(w.durAt, appendFloat(nil, idDuration, w.Duration()))
		if cuesPos > 0 { // without Cues the Void stays: a SeekHead must not point at nothing
			w.patch(w.seekAt, w.seekHead(cuesPos))
		}
		w.patch(w.segStart-8, appendSize8(nil, uint64(w.off-w.segStart)))
	}
	if w.err == nil {
		if err := w.f.Sync(); err != nil {
			w.err = fmt.Errorf("%w: %s: sync: %v", ErrWebM, w.path, err)
		}
	}
	if err := w.f.Close(); err != nil && w.err == nil {
		w.err = fmt.Errorf("%w: %s: %v", ErrWebM, w.path, err)
	}
	w.f = nil
	return w.err
}

// patch overwrites bytes already written.
func (w *WebMWriter) patch(at int64, b []byte) {
	if w.err != nil {
		return
	}
	if _, err := w.f.WriteAt(b, at); err != nil {
		w.err = fmt.Errorf("%w: %s: %v", ErrWebM, w.path, err)
	}
}
