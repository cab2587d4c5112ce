package capture

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVideoPlaylistRefused: a ".mp4" that is really an FFmpeg playlist (HLS or concat) naming
// another local file is refused before FFmpeg opens it, so it cannot make FFmpeg read that file.
func TestVideoPlaylistRefused(t *testing.T) {
	dir := t.TempDir()
	writeVideo(t, dir, "secret.avi", 4, 32, 32, 25) // a local file the playlist points at
	for name, text := range map[string]string{
		"hls.mp4":    "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10,\nsecret.avi\n#EXT-X-ENDLIST\n",
		"concat.mp4": "ffconcat version 1.0\nfile 'secret.avi'\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			src, err := Open(path, Options{}, nil)
			if err == nil {
				_ = src
				t.Fatalf("Open(%s) succeeded: FFmpeg followed the playlist to secret.avi", name)
			}
			if !errors.Is(err, ErrOpen) || !strings.Contains(err.Error(), "playlist") {
				t.Fatalf("Open(%s) = %v; want ErrOpen saying it is a playlist", name, err)
			}
		})
	}
}

// TestCheckVideoFile: containers pass on their magic bytes whatever the extension; text, empty and
// unknown files are refused with ErrOpen on one line naming the file.
func TestCheckVideoFile(t *testing.T) {
	dir := t.TempDir()
	ts := make([]byte, 400)
	ts[0], ts[188], ts[376] = 0x47, 0x47, 0x47
	cases := []struct {
		name string
		data []byte
		want string // "" = accepted, else a substring of the error
	}{
		{"a.mp4", []byte("\x00\x00\x00\x1cftypmp42\x00\x00\x00\x01"), ""},
		{"a.mov", []byte("\x00\x00\x00\x08wide\x00\x00\x00\x00mdat"), ""},
		{"a.webm", []byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81"), ""},
		{"a.avi", []byte("RIFF\x00\x00\x00\x00AVI LIST"), ""},
		{"a.ts", ts, ""},
		{"a.h264", []byte("\x00\x00\x00\x01\x67\x42"), ""},
		{"bom.mp4", []byte("\xef\xbb\xbf #EXTM3U\nx.avi\n"), "playlist"},
		{"list.m3u8", []byte("#EXTM3U\n#EXTINF:1,\nhttp://example.org/a.ts\n"), "playlist"},
		{"concat.avi", []byte("ffconcat version 1.0\nfile '/etc/passwd'\n"), "playlist"},
		{"sdp.mp4", []byte("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\n"), "not a known video container"},
		{"empty.mp4", nil, "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name)
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			err := checkVideoFile(path)
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrOpen) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) ||
				strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v; want ErrOpen containing %q and the path, on one line", err, c.want)
			}
		})
	}
	if err := checkVideoFile(filepath.Join(dir, "missing.mp4")); !errors.Is(err, ErrOpen) {
		t.Errorf("missing file: %v, want ErrOpen", err)
	}
}
