package capture

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// sniffLen is how much of a video file checkVideoFile reads: enough for every magic below
// (MPEG-TS needs its second sync byte at 188).
const sniffLen = 512

// mp4Boxes are the ISO-BMFF/QuickTime box types a .mp4/.mov/.3gp file may start with.
var mp4Boxes = [][]byte{[]byte("ftyp"), []byte("moov"), []byte("mdat"), []byte("free"), []byte("skip"),
	[]byte("wide"), []byte("pnot"), []byte("styp")}

// containerMagics are the leading bytes of the containers (and raw streams) OpenCV's FFmpeg reads.
var containerMagics = [][]byte{
	{0x1a, 0x45, 0xdf, 0xa3}, // Matroska / WebM (EBML)
	[]byte("RIFF"),           // AVI (and WAV, which then fails to decode as video)
	[]byte("FLV\x01"),        // Flash video
	[]byte("OggS"),           // Ogg (Theora)
	{0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11}, // ASF / WMV
	{0x00, 0x00, 0x01, 0xba},                         // MPEG program stream
	{0x00, 0x00, 0x01, 0xb3},                         // MPEG-1/2 elementary video
	{0x00, 0x00, 0x00, 0x01},                         // H.264/H.265 Annex B
	{0x00, 0x00, 0x01},                               // H.264/H.265 Annex B, short start code
	[]byte("YUV4MPEG2"),                              // Y4M
	[]byte("GIF8"),                                   // animated GIF
	{0xff, 0xd8, 0xff},                               // MJPEG stream
	[]byte("DKIF"),                                   // IVF (VP8/VP9/AV1)
	[]byte("nut/multimedia container"),               // NUT
}

// checkVideoFile refuses a regular file that is not a video container before FFmpeg opens it:
// FFmpeg picks its demuxer by content, so a ".mp4" holding an HLS playlist (#EXTM3U) or a concat
// script (ffconcat) would make it open the other local files (or URLs) the text names. Only the
// containers in containerMagics and mp4Boxes pass. Anything that is not a regular file (a FIFO,
// a device) is left to OpenCV: reading its first bytes would consume them.
func checkVideoFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: video %s: %v", ErrOpen, path, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil
	}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return fmt.Errorf("%w: video %s: %v", ErrOpen, path, err)
	}
	head = head[:n]
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case n == 0:
		return fmt.Errorf("%w: video %s is empty", ErrOpen, path)
	case bytes.HasPrefix(trimmed, []byte("#EXTM3U")) || bytes.HasPrefix(trimmed, []byte("ffconcat")):
		return fmt.Errorf("%w: video %s is a text playlist (HLS or ffconcat), not a video file; refusing it, because FFmpeg would open the files it names: pass the video itself", ErrOpen, path)
	case isContainer(head):
		return nil
	}
	return fmt.Errorf("%w: video %s is not a known video container (MP4/MOV, MKV/WebM, AVI, MPEG-TS/PS, FLV, Ogg, ASF, IVF, Y4M, raw H.264); re-encode it, e.g. to H.264 .mp4", ErrOpen, path)
}

// isContainer reports whether head starts like a video container or raw video stream.
func isContainer(head []byte) bool {
	if len(head) >= 8 {
		for _, b := range mp4Boxes {
			if bytes.Equal(head[4:8], b) {
				return true
			}
		}
	}
	for _, m := range containerMagics {
		if bytes.HasPrefix(head, m) {
			return true
		}
	}
	// MPEG-TS: sync byte 0x47 every 188 bytes (192 for M2TS with its 4-byte timestamp prefix).
	if len(head) > 188 && head[0] == 0x47 && head[188] == 0x47 {
		return true
	}
	return len(head) > 196 && head[4] == 0x47 && head[196] == 0x47
}
