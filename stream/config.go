package stream

import (
	"fmt"
	"net"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultAddr is where the viewer listens when no address is given: loopback only.
const DefaultAddr = "127.0.0.1:8080"

// Config sets up a Server. Zero fields take the defaults of DefaultConfig.
type Config struct {
	Addr        string // host:port to listen on; default 127.0.0.1:8080; port 0 picks a free port
	Token       string // optional bearer token for the page, /whep, /metrics (and so the data channel)
	MaxViewers  int    // simultaneous viewers over all sources; default 4
	BitrateKbps int    // VP8 target bitrate per source; default 2500
	FPS         int    // nominal frame rate for the encoder's rate control; default 30
	AllowPublic bool   // listen on a non-loopback address, no Host check: an explicit choice that needs Token
	// MaxPending bounds the viewers answered but not yet connected (they count among MaxViewers
	// too, and are dropped after a few seconds): offers that never connect cannot hold every
	// slot. Default half of MaxViewers, at least 1.
	MaxPending int
	// FrameMarker stamps each frame's sequence number as a small barcode in the top-left corner
	// of the encoded picture (not the caller's buffer), so the page can match decoded frames to
	// capture times and report glass-to-glass latency. Off by default.
	FrameMarker bool
	// Metrics, when set, is what /metrics serves instead of the server's own collectors: a
	// program that registers Collectors() in its registry passes that registry here, so one
	// endpoint shows the whole run (pipeline, inference, capture and stream).
	Metrics prometheus.Gatherer
}

// DefaultConfig returns the defaults: loopback, no token, 4 viewers, 2500 kbps, 30 fps.
func DefaultConfig() Config {
	return Config{Addr: DefaultAddr, MaxViewers: 4, BitrateKbps: 2500, FPS: 30}
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	if c.MaxViewers == 0 {
		c.MaxViewers = d.MaxViewers
	}
	if c.BitrateKbps == 0 {
		c.BitrateKbps = d.BitrateKbps
	}
	if c.FPS == 0 {
		c.FPS = d.FPS
	}
	if c.MaxPending == 0 {
		c.MaxPending = max(1, c.MaxViewers/2)
	}
	return c
}

// Validate checks the settings; messages name the flag a user would change.
func (c Config) Validate() error {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("%w: --webrtc %q is not host:port (e.g. %s): %v", ErrConfig, c.Addr, DefaultAddr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%w: --webrtc %q: port %q is not a number 0..65535", ErrConfig, c.Addr, port)
	}
	if !c.AllowPublic && !isLoopbackHost(host) {
		return fmt.Errorf("%w: --webrtc %q would be reachable from other machines; use 127.0.0.1:PORT, or allow it explicitly (stream.Config.AllowPublic) and set --token", ErrPublic, c.Addr)
	}
	if c.AllowPublic && c.Token == "" {
		return fmt.Errorf("%w: --public without --token would let anyone who reaches %s watch the stream and read /metrics; pass --token SECRET, or drop --public to stay on loopback", ErrPublic, c.Addr)
	}
	switch {
	case c.MaxViewers < 1 || c.MaxViewers > 64:
		return fmt.Errorf("%w: max viewers %d (want 1..64)", ErrConfig, c.MaxViewers)
	case c.MaxPending < 1 || c.MaxPending > c.MaxViewers:
		return fmt.Errorf("%w: max pending viewers %d (want 1..max viewers %d)", ErrConfig, c.MaxPending, c.MaxViewers)
	case c.BitrateKbps < 100 || c.BitrateKbps > 50000:
		return fmt.Errorf("%w: WebRTC bitrate %d kbps (want 100..50000)", ErrConfig, c.BitrateKbps)
	case c.FPS < 1 || c.FPS > 120:
		return fmt.Errorf("%w: fps %d (want 1..120)", ErrConfig, c.FPS)
	case len(c.Token) > 256:
		return fmt.Errorf("%w: --token is %d bytes (want ≤ 256)", ErrConfig, len(c.Token))
	}
	return nil
}

// isLoopbackHost reports whether host names only this machine. An empty host or an unspecified
// address (0.0.0.0, ::) listens everywhere, so it is not loopback.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
