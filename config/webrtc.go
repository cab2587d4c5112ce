package config

import (
	"fmt"
	"slices"

	"github.com/metaood/metaood/stream/netcfg"
)

// WebRTCNet are the live viewer's network settings for deployment behind a NAT, in a container or
// for players on other web origins.
type WebRTCNet struct {
	// UDPPort (--webrtc-udp-port) carries every viewer's media on this one UDP port; 0 = a port
	// per viewer chosen by the system.
	UDPPort int `yaml:"webrtc_udp_port"`
	// PublicIPs (--webrtc-public-ip) are IPv4 addresses viewers reach this machine at (a NAT's,
	// the container host's), advertised beside the local ones; needs public.
	PublicIPs []string `yaml:"webrtc_public_ips"`
	// ICEServers (--webrtc-ice-server) are STUN/TURN URLs for the server and the page.
	ICEServers []string `yaml:"webrtc_ice_servers"`
	// AllowOrigins (--webrtc-allow-origin) are web origins whose pages may call the viewer
	// (CORS); "*" any, only without a token.
	AllowOrigins []string `yaml:"webrtc_allow_origins"`
}

// validate checks the settings; messages name the key and the flag.
func (n WebRTCNet) validate(public bool, token string) error {
	bad := func(key, flag, format string, args ...any) error {
		return fmt.Errorf("%w: %s (--%s): %s", ErrConfig, key, flag, fmt.Sprintf(format, args...))
	}
	if n.UDPPort < 0 || n.UDPPort > 65535 {
		return bad("webrtc_udp_port", "webrtc-udp-port", "%d; want 1..65535, or 0 for a port per viewer", n.UDPPort)
	}
	for _, ip := range n.PublicIPs {
		if _, err := netcfg.ParsePublicIP(ip); err != nil {
			return bad("webrtc_public_ips", "webrtc-public-ip", "%v", err)
		}
	}
	if len(n.PublicIPs) > 0 && !public {
		return bad("webrtc_public_ips", "webrtc-public-ip", "viewers on other machines need --public (public: true) with --token and a --webrtc address they can reach, e.g. 0.0.0.0:8080")
	}
	for _, s := range n.ICEServers {
		if _, err := netcfg.ParseICEServer(s); err != nil {
			return bad("webrtc_ice_servers", "webrtc-ice-server", "%v", err)
		}
	}
	for _, o := range n.AllowOrigins {
		if _, err := netcfg.ParseOrigin(o); err != nil {
			return bad("webrtc_allow_origins", "webrtc-allow-origin", "%v", err)
		}
	}
	if token != "" && slices.Contains(n.AllowOrigins, "*") {
		return bad("webrtc_allow_origins", "webrtc-allow-origin", "* with --token would let any web page that learns the token use the viewer; name the player's origin instead, e.g. https://player.example.org")
	}
	return nil
}
