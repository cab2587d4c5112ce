package synth

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Spec is a synthetic drive as written on the command line, the one grammar of `--source
// synth:…` and `calib dataset --synth …`: comma-separated key=value pairs, keys
//
//	seed=S         the drive's seed (default DefaultConfig's)
//	frames=N       how many frames (0 = endless where that makes sense)
//	size=WxH       frame size (default 1024x512)
//	fps=F          frame rate for real-time playback
//	anomalies=0|1  moving anomalies on the road (default 1)
//	first=F        index of the first frame (default 0)
//	step=K         take every K-th frame (default 1)
type Spec struct {
	Config      Config
	Frames      int     // -1 when not given
	FPS         float64 // 0 when not given
	First, Step int
	given       map[string]bool
}

// SpecKeys are the keys ParseSpec knows.
var SpecKeys = []string{"seed", "frames", "size", "fps", "anomalies", "first", "step"}

// Given reports whether key was in the spec.
func (s Spec) Given(key string) bool { return s.given[key] }

// ParseSpec reads a drive spec (see Spec); "" is the default drive. Errors wrap ErrConfig and
// name the pair at fault.
func ParseSpec(s string) (Spec, error) {
	sp := Spec{Config: DefaultConfig(), Frames: -1, Step: 1, given: map[string]bool{}}
	bad := func(kv, why string) (Spec, error) {
		return Spec{}, fmt.Errorf("%w: synthetic drive %q: %s (keys: %s)", ErrConfig, kv, why, strings.Join(SpecKeys, ", "))
	}
	if strings.TrimSpace(s) == "" {
		return sp, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		switch {
		case !ok || k == "" || v == "":
			return bad(kv, "want key=value")
		case !slices.Contains(SpecKeys, k):
			return bad(kv, "unknown key")
		case sp.given[k]:
			return bad(kv, "given twice")
		}
		sp.given[k] = true
		if k == "size" {
			w, h, err := ParseSize(v)
			if err != nil {
				return bad(kv, err.Error())
			}
			sp.Config.W, sp.Config.H = w, h
			continue
		}
		if k == "fps" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || !(f > 0 && f <= 1000) {
				return bad(kv, "want a frame rate in (0, 1000]")
			}
			sp.FPS = f
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return bad(kv, "not an integer")
		}
		switch k {
		case "seed":
			if n < -1<<31 || n > 1<<31-1 {
				return bad(kv, "out of the 32-bit range")
			}
			sp.Config.Seed = n
		case "frames":
			if n < 0 || n > 1<<30 {
				return bad(kv, "want 0..2^30")
			}
			sp.Frames = int(n)
		case "anomalies":
			if n != 0 && n != 1 {
				return bad(kv, "want 0 or 1")
			}
			sp.Config.Anomalies = n == 1
		case "first":
			if n < 0 || n > 1<<30 {
				return bad(kv, "want 0..2^30")
			}
			sp.First = int(n)
		case "step":
			if n < 1 || n > 1<<20 {
				return bad(kv, "want 1..2^20")
			}
			sp.Step = int(n)
		}
	}
	if err := sp.Config.Validate(); err != nil {
		return Spec{}, fmt.Errorf("synthetic drive %q: %w", s, err)
	}
	return sp, nil
}
