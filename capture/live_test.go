package capture

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/metaood/metaood/frame"
)

func TestCameraAbsent(t *testing.T) {
	for _, spec := range []string{"cam:/dev/video97", "/dev/video98"} {
		src, err := Open(spec, Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if src.Mode() != frame.Device {
			t.Errorf("%s: mode %v, want device", spec, src.Mode())
		}
		_, err = src.Open()
		if !errors.Is(err, ErrOpen) || !strings.Contains(err.Error(), "camera /dev/video9") {
			t.Errorf("%s: Open = %v, want ErrOpen naming the camera", spec, err)
		}
	}
}

func TestGStreamerBadPipeline(t *testing.T) {
	src, err := Open("gst:nosuchelement0 ! appsink", Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Open(); !errors.Is(err, ErrOpen) || !strings.Contains(err.Error(), "GStreamer") {
		t.Errorf("Open = %v, want ErrOpen about the GStreamer pipeline", err)
	}
}

// A network source through OpenCV's FFMPEG backend: a clip served over HTTP on loopback. When
// the stream ends, Next fails (a device does not end by itself) and a new Open reads it again:
// what the pipeline's supervisor does to reconnect.
func TestURLSourceReopens(t *testing.T) {
	dir := t.TempDir()
	writeVideo(t, dir, "clip.avi", 8, 64, 48, 25)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	src, err := Open(srv.URL+"/clip.avi", Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if src.Mode() != frame.Device {
		t.Fatalf("mode %v, want device", src.Mode())
	}
	var seqs []uint64
	for range 2 {
		frames, err := collect(t, src)
		if err == nil || len(frames) != 8 {
			t.Fatalf("stream: %d frames, err %v; want 8 frames then a read error", len(frames), err)
		}
		for _, f := range frames {
			if f.W != 64 || f.H != 48 {
				t.Fatalf("frame %dx%d", f.W, f.H)
			}
			seqs = append(seqs, f.Seq)
		}
	}
	if seqs[8] != 8 || seqs[15] != 15 {
		t.Errorf("seqs %v: the numbering must go on across reopens", seqs)
	}
	if fps := src.FPS(); fps != 25 {
		t.Errorf("FPS %v, want the stream's 25", fps)
	}
	if id := src.ID(); id != strings.TrimPrefix(srv.URL, "http://")+"/clip.avi" {
		t.Errorf("id %q", id)
	}
	if st := src.(*liveSource).Stats(); st.Frames != 16 || st.Errors != 2 {
		t.Errorf("stats %+v, want 16 frames and 2 errors (the two ends)", st)
	}
}
