package capture

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/synth"
)

// kind is what a spec names.
type kind int

const (
	kindSynth kind = iota
	kindVideo
	kindImages
	kindCamera
	kindURL
	kindGst
)

func (k kind) String() string {
	return [...]string{"synth", "video", "images", "camera", "url", "gstreamer"}[k]
}

// spec is a parsed source spec.
type spec struct {
	kind   kind
	id     string
	target string            // file, folder, URL (with credentials), pipeline or device path
	device int               // camera index; -1 when target is a device path
	params map[string]string // camera parameters (a drive's spec stays in target: synth.ParseSpec)
	files  []string          // images, sorted
}

// specHelp is appended to spec errors.
const specHelp = "a source is a video file, an image folder or glob, cam:N or /dev/videoN, an rtsp:// http:// tcp:// URL, gst:<pipeline> or synth[:seed=1,frames=300,size=1024x512,fps=30]"

var (
	idPrefix   = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	urlSchemes = []string{"rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "tcp", "udp", "srt", "rtp", "mms", "hls"}
	imageExts  = []string{".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pnm", ".jp2"}
	cameraKeys = []string{"fps", "size"}
)

// parseSpec understands a source spec; files and folders are looked up on disk.
func parseSpec(s string) (spec, error) {
	s = strings.TrimSpace(s)
	var sp spec
	if before, after, ok := strings.Cut(s, "="); ok && idPrefix.MatchString(before) && after != "" && !exists(s) {
		sp.id, s = before, after
	}
	lower := strings.ToLower(s)
	switch {
	case s == "":
		return sp, fmt.Errorf("%w: empty; %s", ErrSpec, specHelp)
	case lower == "synth" || strings.HasPrefix(lower, "synth:"):
		sp.kind = kindSynth
		sp.target = strings.TrimLeft(s[min(len(s), 6):], ":,")
		if _, err := synth.ParseSpec(sp.target); err != nil {
			return sp, fmt.Errorf("%w: %w", ErrSpec, err)
		}
		sp.setID("synth")
	case strings.HasPrefix(lower, "gst:"):
		sp.kind, sp.target = kindGst, strings.TrimSpace(s[4:])
		if sp.target == "" {
			return sp, fmt.Errorf("%w: %q has an empty GStreamer pipeline; e.g. gst:v4l2src ! videoconvert ! appsink", ErrSpec, s)
		}
		sp.setID("gst")
	case strings.HasPrefix(lower, "cam:") || strings.HasPrefix(s, "/dev/video"):
		sp.kind = kindCamera
		dev := s
		if strings.HasPrefix(lower, "cam:") {
			dev = s[4:]
		}
		dev, rest, _ := strings.Cut(dev, ",")
		dev = strings.TrimSpace(dev)
		p, err := parseParams(rest, cameraKeys, "camera")
		if err != nil {
			return sp, err
		}
		sp.params = p
		if n, err := strconv.Atoi(dev); err == nil && n >= 0 {
			sp.device, sp.target = n, strconv.Itoa(n)
			sp.setID("cam" + dev)
		} else if strings.HasPrefix(dev, "/dev/") {
			sp.device, sp.target = -1, dev
			sp.setID(filepath.Base(dev))
		} else {
			return sp, fmt.Errorf("%w: camera %q: want an index (cam:0) or a device path (cam:/dev/video0)", ErrSpec, dev)
		}
	case isURL(s):
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return sp, fmt.Errorf("%w: URL %q does not parse (want scheme://host[:port]/path)", ErrSpec, redact(s))
		}
		sp.kind, sp.target = kindURL, s
		sp.setID(strings.TrimSuffix(u.Host+u.Path, "/"))
	default:
		path := strings.TrimPrefix(s, "file://")
		return sp, sp.parsePath(path)
	}
	return sp, nil
}

// parsePath resolves a video file, a single image, an image folder or a glob.
func (sp *spec) parsePath(path string) error {
	if strings.ContainsAny(path, "*?[") && !exists(path) {
		files, err := filepath.Glob(path)
		if err != nil {
			return fmt.Errorf("%w: glob %q: %v", ErrSpec, path, err)
		}
		files = slices.DeleteFunc(files, func(f string) bool { return !isImage(f) || !isFile(f) })
		if len(files) == 0 {
			return fmt.Errorf("%w: no image files match %q (extensions %s)", ErrOpen, path, strings.Join(imageExts, " "))
		}
		slices.Sort(files)
		sp.kind, sp.target, sp.files = kindImages, path, files
		sp.setID(filepath.Base(filepath.Dir(path)))
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		if os.IsNotExist(err) {
			return fmt.Errorf("%w: %s: no such file or folder; %s", ErrOpen, path, specHelp)
		}
		return fmt.Errorf("%w: %s: %v", ErrOpen, path, err)
	}
	sp.target = path
	switch {
	case st.IsDir():
		entries, err := os.ReadDir(path)
		if err != nil {
			return fmt.Errorf("%w: folder %s: %v", ErrOpen, path, err)
		}
		for _, e := range entries {
			if f := filepath.Join(path, e.Name()); !e.IsDir() && isImage(f) {
				sp.files = append(sp.files, f)
			}
		}
		if len(sp.files) == 0 {
			return fmt.Errorf("%w: folder %s has no images (%s)", ErrOpen, path, strings.Join(imageExts, " "))
		}
		slices.Sort(sp.files)
		sp.kind = kindImages
		sp.setID(filepath.Base(filepath.Clean(path)))
	case isImage(path):
		sp.kind, sp.files = kindImages, []string{path}
		sp.setID(filepath.Base(path))
	default:
		sp.kind = kindVideo
		sp.setID(filepath.Base(path))
	}
	return nil
}

func (sp *spec) setID(id string) {
	if sp.id == "" {
		sp.id = id
	}
}

// parseParams parses "k=v,k=v" (a leading ':' or ',' is skipped) and checks the keys.
func parseParams(s string, allowed []string, what string) (map[string]string, error) {
	s = strings.TrimLeft(s, ":,")
	p := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return p, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("%w: %s parameter %q: want key=value (keys: %s)", ErrSpec, what, kv, strings.Join(allowed, ", "))
		}
		if !slices.Contains(allowed, k) {
			return nil, fmt.Errorf("%w: %s parameter %q unknown (keys: %s)", ErrSpec, what, k, strings.Join(allowed, ", "))
		}
		if _, dup := p[k]; dup {
			return nil, fmt.Errorf("%w: %s parameter %q given twice", ErrSpec, what, k)
		}
		p[k] = v
	}
	return p, nil
}

// intParam reads an integer parameter within [lo, hi].
func intParam(p map[string]string, key string, def, lo, hi int) (int, error) {
	v, ok := p[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%w: %s=%s: want an integer in %d..%d", ErrSpec, key, v, lo, hi)
	}
	return n, nil
}

// floatParam reads a number parameter within (0, hi].
func floatParam(p map[string]string, key string, def, hi float64) (float64, error) {
	v, ok := p[key]
	if !ok {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0 && f <= hi) {
		return 0, fmt.Errorf("%w: %s=%s: want a number in (0, %g]", ErrSpec, key, v, hi)
	}
	return f, nil
}

// sizeParam reads "WxH".
func sizeParam(p map[string]string, key string, defW, defH int) (w, h int, err error) {
	v, ok := p[key]
	if !ok {
		return defW, defH, nil
	}
	w, h, err = frame.ParseSize(v, 16, 16384)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %s=%s: %v", ErrSpec, key, v, err)
	}
	return w, h, nil
}

func isURL(s string) bool {
	scheme, _, ok := strings.Cut(s, "://")
	return ok && slices.Contains(urlSchemes, strings.ToLower(scheme))
}

// redact hides credentials in a URL for messages and ids.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User("***")
	return u.String()
}

func isImage(f string) bool { return slices.Contains(imageExts, strings.ToLower(filepath.Ext(f))) }

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
