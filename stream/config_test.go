package stream

import (
	"errors"
	"net"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want error
	}{
		{"defaults", Config{}, nil},
		{"localhost", Config{Addr: "localhost:0"}, nil},
		{"ipv6 loopback", Config{Addr: "[::1]:0"}, nil},
		{"all interfaces", Config{Addr: ":8080"}, ErrPublic},
		{"unspecified", Config{Addr: "0.0.0.0:8080"}, ErrPublic},
		{"lan address", Config{Addr: "192.168.1.5:8080"}, ErrPublic},
		{"public allowed", Config{Addr: "0.0.0.0:8080", AllowPublic: true, Token: "t"}, nil},
		{"hostname", Config{Addr: "example.org:80"}, ErrPublic},
		{"no port", Config{Addr: "127.0.0.1"}, ErrConfig},
		{"bad port", Config{Addr: "127.0.0.1:http"}, ErrConfig},
		{"port range", Config{Addr: "127.0.0.1:70000"}, ErrConfig},
		{"viewers", Config{MaxViewers: 1000}, ErrConfig},
		{"bitrate", Config{BitrateKbps: 10}, ErrConfig},
		{"fps", Config{FPS: 500}, ErrConfig},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.withDefaults().Validate()
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("Validate() = %v, want %v", err, c.want)
			}
		})
	}
}

// TestPublicNeedsToken: AllowPublic without a token is an error that says how to fix it, on any
// address (AllowPublic also turns the Host check off, so even loopback would be exposed to DNS rebinding).
func TestPublicNeedsToken(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8080", "127.0.0.1:8080"} {
		err := Config{Addr: addr, AllowPublic: true}.withDefaults().Validate()
		if !errors.Is(err, ErrPublic) || !strings.Contains(err.Error(), "--token") || !strings.Contains(err.Error(), "--public") {
			t.Errorf("%s public without token: %v, want ErrPublic naming --token and --public", addr, err)
		}
	}
}

func TestNewRefusesPublic(t *testing.T) {
	if _, err := New(Config{Addr: "0.0.0.0:0"}, nil); !errors.Is(err, ErrPublic) {
		t.Fatalf("New on 0.0.0.0 = %v, want ErrPublic", err)
	}
}

func TestViewerURL(t *testing.T) {
	cases := []struct {
		ip    string
		port  int
		token string
		want  string
	}{
		{"127.0.0.1", 8080, "", "http://127.0.0.1:8080/"},
		{"127.0.0.1", 8080, "a b&c", "http://127.0.0.1:8080/?token=a+b%26c"},
		{"0.0.0.0", 9000, "", "http://127.0.0.1:9000/"},
		{"::1", 8080, "", "http://[::1]:8080/"},
	}
	for _, c := range cases {
		if got := viewerURL(&net.TCPAddr{IP: net.ParseIP(c.ip), Port: c.port}, c.token); got != c.want {
			t.Errorf("viewerURL(%s:%d, %q) = %q, want %q", c.ip, c.port, c.token, got, c.want)
		}
	}
}
