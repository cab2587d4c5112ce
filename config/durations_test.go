package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestBareDurations: a bare 0 in a duration setting means 0s, as on the command line; any other
// bare number is refused with a message that asks for a unit and names the key, flag and line.
func TestBareDurations(t *testing.T) {
	cases := []struct {
		yaml string
		want func(Run) bool // nil: an error containing err
		err  string
	}{
		{yaml: "segment: 0", want: func(c Run) bool { return c.Segment == 0 }},
		{yaml: "segment: 0 # one file", want: func(c Run) bool { return c.Segment == 0 }},
		{yaml: "segment: 0.0", want: func(c Run) bool { return c.Segment == 0 }},
		{yaml: "segment: 0s", want: func(c Run) bool { return c.Segment == 0 }},
		{yaml: "segment: '0'", want: func(c Run) bool { return c.Segment == 0 }},
		{yaml: "clip_pre: 0\nclip_post: 0", want: func(c Run) bool { return c.ClipPre == 0 && c.ClipPost == 0 }},
		{yaml: "{clip_pre: 0, clip_post: 0, stall_timeout: 0}", want: func(c Run) bool { return c.ClipPre == 0 && c.ClipPost == 0 && c.StallTimeout == 0 }},
		{yaml: "video: a.mp4\nretain_age: 0\nstall_timeout: 0", want: func(c Run) bool { return c.RetainAge == 0 && c.StallTimeout == 0 }},
		{yaml: "# über\nsegment: 2m\nclip_pre: 0", want: func(c Run) bool { return c.Segment == 2*time.Minute && c.ClipPre == 0 }},
		{yaml: "frames: 0\nsegment: 0", want: func(c Run) bool { return c.Frames == 0 && c.Segment == 0 }},
		{yaml: "segment: 60", err: "segment (--segment): line 1: 60 has no unit; write a duration with one, e.g. 60s"},
		{yaml: "frames: 3\nclip_post: 5", err: "clip_post (--clip-post): line 2: 5 has no unit"},
		{yaml: "stall_timeout: -5", err: "stall_timeout (--stall-timeout): line 1: -5 has no unit"},
		{yaml: "retain_age: 1.5", err: "retain_age (--retain-age): line 1: 1.5 has no unit"},
		{yaml: "clip_pre: 1e3", err: "clip_pre (--clip-pre): line 1: 1e3 has no unit"},
		{yaml: "segment: 0\nsegmnt: 1m", err: "line 2: field segmnt not found"},
	}
	for _, c := range cases {
		got, err := Parse([]byte(c.yaml))
		if c.want != nil {
			if err != nil || !c.want(got) {
				t.Errorf("%q: err = %v, settings %+v", c.yaml, err, got)
			}
			continue
		}
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q: err = %v, want it to contain %q", c.yaml, err, c.err)
		}
	}
}
