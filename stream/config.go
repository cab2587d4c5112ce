package stream

import (
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/metaood/metaood/stream/netcfg"

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
	// UDPPort, when set, carries every viewer's WebRTC media on this one UDP port (pion's ICE UDP
	// mux) at the listen address's host, so that a firewall, NAT or container needs only it and
	// the HTTP port open. 0: an ephemeral port per viewer, chosen by the system.
	UDPPort int
	// PublicIPs are IPv4 addresses viewers reach this machine at (a NAT's or the container
	// host's), advertised in addition to the local ones. Needs AllowPublic.
	PublicIPs []string
	// ICEServers are STUN/TURN URLs (netcfg.ParseICEServer) the server gathers its candidates
	// with; the page gets them too (GET /config), as do WHEP players (Link headers).
	ICEServers []string
	// AllowOrigins are the web origins (scheme://host[:port]) whose pages may call the viewer
	// across origins (CORS), e.g. a WHEP player hosted elsewhere; "*" allows any origin and only
	// without a Token. Empty: only the viewer's own page, so that no other web page the user
	// opens can read the stream.
	AllowOrigins []string
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
	return c.validateNet()
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

// validateNet checks the ICE and CORS settings (library errors: they name the settings, the
// command maps them to its flags).
func (c Config) validateNet() error {
	if c.UDPPort < 0 || c.UDPPort > 65535 {
		return fmt.Errorf("%w: UDP port %d (want 1..65535, or 0 for a port per viewer)", ErrConfig, c.UDPPort)
	}
	if len(c.PublicIPs) > 0 && !c.AllowPublic {
		return fmt.Errorf("%w: public IPs %v are for viewers on other machines, but the viewer listens on loopback only; allow public access (with a token) or drop them", ErrConfig, c.PublicIPs)
	}
	for _, ip := range c.PublicIPs {
		if _, err := netcfg.ParsePublicIP(ip); err != nil {
			return fmt.Errorf("%w: %v", ErrConfig, err)
		}
	}
	if _, err := c.iceServers(); err != nil {
		return err
	}
	for _, o := range c.AllowOrigins {
		if _, err := netcfg.ParseOrigin(o); err != nil {
			return fmt.Errorf("%w: %v", ErrConfig, err)
		}
	}
	if c.Token != "" && slices.Contains(c.AllowOrigins, "*") {
		return fmt.Errorf("%w: allowed origin * with a token would let any web page that learns the token use the viewer; name the player's origin (scheme://host[:port]) instead", ErrConfig)
	}
	return nil
}

// iceServers parses ICEServers.
func (c Config) iceServers() ([]netcfg.ICEServer, error) {
	out := make([]netcfg.ICEServer, 0, len(c.ICEServers))
	for _, s := range c.ICEServers {
		is, err := netcfg.ParseICEServer(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		out = append(out, is)
	}
	return out, nil
}
