package render

import (
	"image"
	"os"
	"path/filepath"
	"strings"

	"gocv.io/x/gocv"
)

// VideoCodecs are the codec names CreateVideoWith takes ("" = the file type's default).
var VideoCodecs = map[string]string{"h264": "avc1", "mp4v": "mp4v", "mjpg": "MJPG", "vp8": "VP80"}

// Codecs returns the FourCCs tried, in order, for a video file name: mp4 → MPEG-4 Part 2
// (mp4v: cheap to encode, not playable in browsers; pass codec h264 for H.264); avi, mkv →
// MJPG; webm → VP8.
func Codecs(path string) ([]string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".mp4", ".m4v", ".mov":
		return []string{"mp4v"}, nil
	case ".avi", ".mkv":
		return []string{"MJPG"}, nil
	case ".webm":
		return []string{"VP80"}, nil
	}
	return nil, errorf(ErrVideo, "%s: unknown video extension; use .mp4, .avi, .mkv or .webm", path)
}

// VideoWriter writes BGR frames of one size to a video file.
type VideoWriter struct {
	path   string
	w, h   int
	vw     *gocv.VideoWriter
	codec  string
	frames int
}

// Codec is the FourCC the file is written with.
func (v *VideoWriter) Codec() string { return v.codec }

// CreateVideo opens path for w×h frames at fps frames per second, in the file type's default codec.
func CreateVideo(path string, fps float64, w, h int) (*VideoWriter, error) {
	return CreateVideoWith(path, "", fps, w, h)
}

// CreateVideoWith is CreateVideo with a codec from VideoCodecs: "h264" writes H.264 (browsers
// play it; about 4× smaller than mp4v, and several times its CPU cost to encode).
func CreateVideoWith(path, codec string, fps float64, w, h int) (*VideoWriter, error) {
	codecs, err := Codecs(path)
	if err != nil {
		return nil, err
	}
	if codec != "" {
		fourcc, ok := VideoCodecs[codec]
		if !ok {
			return nil, errorf(ErrVideo, "%s: unknown codec %q; want h264, mp4v, mjpg or vp8", path, codec)
		}
		codecs = []string{fourcc}
	}
	if fps <= 0 || fps > 1000 {
		fps = 25
	}
	for _, codec := range codecs {
		vw, err := gocv.VideoWriterFile(path, codec, fps, w, h, true)
		if err == nil && vw.IsOpened() {
			return &VideoWriter{path: path, w: w, h: h, vw: vw, codec: codec}, nil
		}
		if vw != nil {
			vw.Close()
		}
	}
	return nil, errorf(ErrVideo, "%s: cannot open for writing (%s, %dx%d); check the folder or try an .avi file", path, strings.Join(codecs, " or "), w, h)
}

// Write appends one BGR frame. A frame of another size (a source whose size changed mid-run,
// e.g. an image folder of mixed sizes) is scaled into the video's size: a video has one size.
func (v *VideoWriter) Write(bgr []byte, w, h int) error {
	if w <= 0 || h <= 0 || len(bgr) != 3*w*h {
		return errorf(ErrVideo, "%s: frame %dx%d with %d bytes", v.path, w, h, len(bgr))
	}
	m, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC3, bgr)
	if err != nil {
		return errorf(ErrVideo, "%s: %v", v.path, err)
	}
	defer m.Close()
	out := m
	if w != v.w || h != v.h {
		scaled := gocv.NewMat()
		defer scaled.Close()
		gocv.Resize(m, &scaled, image.Pt(v.w, v.h), 0, 0, gocv.InterpolationLinear)
		out = scaled
	}
	if err := v.vw.Write(out); err != nil {
		return errorf(ErrVideo, "%s: %v", v.path, err)
	}
	v.frames++
	return nil
}

// Frames returns how many frames were written.
func (v *VideoWriter) Frames() int { return v.frames }

// Path returns the file name.
func (v *VideoWriter) Path() string { return v.path }

// Close finalizes the file (writes the container index; the video plays only after it), then
// reads it back: a file that does not open, or holds fewer frames than were written (a full
// disk cuts it silently), is an error.
func (v *VideoWriter) Close() error {
	if v.vw == nil {
		return nil
	}
	err := v.vw.Close()
	v.vw = nil
	if err != nil {
		return errorf(ErrVideo, "%s: finalizing: %v", v.path, err)
	}
	if v.frames == 0 {
		return nil
	}
	return VerifyVideo(v.path, v.frames)
}

// VerifyVideo reopens a finished video and checks that it decodes and that its container
// declares the frames written (±1: containers round their duration).
func VerifyVideo(path string, written int) error {
	vc, err := gocv.VideoCaptureFileWithAPI(path, gocv.VideoCaptureFFmpeg)
	if err != nil || !vc.IsOpened() {
		if vc != nil {
			vc.Close()
		}
		return errorf(ErrVideo, "%s: written but unreadable (a full disk or a killed writer); %d frames are lost", path, written)
	}
	defer vc.Close()
	m := gocv.NewMat()
	defer m.Close()
	if !vc.Read(&m) || m.Empty() {
		return errorf(ErrVideo, "%s: written but no frame decodes (a full disk or a killed writer); %d frames are lost", path, written)
	}
	if n := int(vc.Get(gocv.VideoCaptureFrameCount)); n > 0 && n < written-1 {
		return errorf(ErrVideo, "%s: %d frames written but the file holds %d (a full disk?)", path, written, n)
	}
	return nil
}

// SaveImage writes a BGR frame as an image file; the extension (.png, .jpg) picks the format.
func SaveImage(path string, bgr []byte, w, h int) error {
	if len(bgr) != 3*w*h {
		return errorf(ErrScene, "%s: %d bytes for %dx%d", path, len(bgr), w, h)
	}
	m, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC3, bgr)
	if err != nil {
		return errorf(ErrScene, "%s: %v", path, err)
	}
	defer m.Close()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return errorf(ErrVideo, "%s: %v", path, err)
	}
	if !gocv.IMWrite(path, m) {
		return errorf(ErrVideo, "%s: cannot write the image", path)
	}
	return nil
}

// ReadVideoInfo opens a video and returns its frame count and size (for checks and tests).
func ReadVideoInfo(path string) (frames, w, h int, err error) {
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		return 0, 0, 0, errorf(ErrVideo, "%s: %v", path, err)
	}
	defer vc.Close()
	m := gocv.NewMat()
	defer m.Close()
	for vc.Read(&m) && !m.Empty() {
		frames++
		w, h = m.Cols(), m.Rows()
	}
	return frames, w, h, nil
}
