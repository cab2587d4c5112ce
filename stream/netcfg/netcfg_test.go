package netcfg

import (
	"errors"
	"strings"
	"testing"
)

func TestParseICEServer(t *testing.T) {
	cases := []struct {
		in   string
		want ICEServer
		err  string // substring of the error; "" = no error
	}{
		{"stun:stun.example.org", ICEServer{URL: "stun:stun.example.org"}, ""},
		{"STUN:stun.example.org:19302", ICEServer{URL: "stun:stun.example.org:19302"}, ""},
		{"stuns:[2001:db8::1]:5349", ICEServer{URL: "stuns:[2001:db8::1]:5349"}, ""},
		{"turn:alice:s3cr:et@turn.example.org:3478?transport=UDP",
			ICEServer{URL: "turn:turn.example.org:3478?transport=udp", Username: "alice", Credential: "s3cr:et"}, ""},
		{"turns:bob:p@ss@203.0.113.9?transport=tcp", ICEServer{URL: "turns:203.0.113.9?transport=tcp", Username: "bob", Credential: "p@ss"}, ""},
		{"turn:turn.example.org", ICEServer{}, "needs credentials"},
		{"turn:alice@turn.example.org", ICEServer{}, "USER:PASSWORD@"},
		{"turn::pw@turn.example.org", ICEServer{}, "USER:PASSWORD@"},
		{"stun:u:p@stun.example.org", ICEServer{}, "no credentials"},
		{"stun:stun.example.org?transport=udp", ICEServer{}, "no parameters"},
		{"turn:a:b@h?transport=sctp", ICEServer{}, "transport"},
		{"turns:a:b@h?transport=udp", ICEServer{}, "transport"},
		{"turn:alice:s3cret@h:70000", ICEServer{}, "alice:REDACTED@h"},
		{"stun:alice:s3cret@h", ICEServer{}, "no credentials"},
		{"turn:a:b@h?transport=udp&x=1", ICEServer{}, "only parameter"},
		{"http://stun.example.org", ICEServer{}, "unknown scheme"},
		{"stun.example.org", ICEServer{}, "no scheme"},
		{"stun:", ICEServer{}, "no valid host"},
		{"stun:host:0", ICEServer{}, "port"},
		{"stun:host:99999", ICEServer{}, "port"},
		{"stun:a:b:c", ICEServer{}, "does not parse"},
		{"stun:host/path", ICEServer{}, "no valid host"},
		{"turn:a:b\r\nX: y@h", ICEServer{}, "control characters"},
		{"stun: h", ICEServer{}, "spaces"},
	}
	for _, c := range cases {
		got, err := ParseICEServer(c.in)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.in, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, ErrSetting)):
			t.Errorf("%q: error %v, want one containing %q", c.in, err, c.err)
		case c.err == "" && got != c.want:
			t.Errorf("%q: %+v, want %+v", c.in, got, c.want)
		}
		if c.err != "" && err != nil && strings.Contains(c.in, "s3cr") && strings.Contains(err.Error(), "s3cr") {
			t.Errorf("%q: the error repeats the password", c.in)
		}
	}
}

func TestParseOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"*":                          "*",
		"https://Player.Example.org": "https://player.example.org",
		"http://127.0.0.1:3000":      "http://127.0.0.1:3000",
		"http://[::1]:8080":          "http://[::1]:8080",
	} {
		if got, err := ParseOrigin(in); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "player.example.org", "ftp://x", "https://x/", "https://x/p", "https://u@x", "https://x?q", "https://x:0", "https://:80", "**"} {
		if _, err := ParseOrigin(in); err == nil || !errors.Is(err, ErrSetting) {
			t.Errorf("%q: accepted (%v)", in, err)
		}
	}
}

func TestParsePublicIP(t *testing.T) {
	if got, err := ParsePublicIP(" 203.0.113.7 "); err != nil || got != "203.0.113.7" {
		t.Errorf("203.0.113.7: %q %v", got, err)
	}
	for in, why := range map[string]string{"host.example": "not an IP", "2001:db8::1": "IPv6", "0.0.0.0": "cannot be reached", "224.0.0.1": "cannot be reached"} {
		if _, err := ParsePublicIP(in); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%q: %v, want an error saying %q", in, err, why)
		}
	}
}

// FuzzParseICEServer: whatever a user types, the parser returns a server whose URL parses again to
// itself (with its credentials put back), or an error; it never panics.
func FuzzParseICEServer(f *testing.F) {
	for _, s := range []string{"stun:h", "turn:u:p@h:3478?transport=tcp", "turns:u:p@[::1]", "stun:[::1]:1", "turn:@@", "stun:h?x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseICEServer(s)
		if err != nil {
			return
		}
		again := got.URL
		if got.Username != "" {
			scheme, rest, _ := strings.Cut(got.URL, ":")
			again = scheme + ":" + got.Username + ":" + got.Credential + "@" + rest
		}
		back, err := ParseICEServer(again)
		if err != nil || back != got {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, got, again, back, err)
		}
	})
}
