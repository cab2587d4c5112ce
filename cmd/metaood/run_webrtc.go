package main

import (
	"github.com/spf13/pflag"

	"github.com/metaood/metaood/config"
)

// webrtcNetFlags binds the live viewer's deployment flags (behind a NAT, in a container, for
// players on other web origins) to n.
func webrtcNetFlags(n *config.WebRTCNet, fs *pflag.FlagSet) {
	fs.IntVar(&n.UDPPort, "webrtc-udp-port", n.UDPPort, "carry every viewer's WebRTC media on this one UDP port, e.g. 8189, to open in a firewall or publish from a container (0 = a port per viewer)")
	fs.StringArrayVar(&n.PublicIPs, "webrtc-public-ip", n.PublicIPs, "repeatable: IPv4 address viewers reach this machine at (NAT, container host), advertised beside the local ones; needs --public")
	fs.StringArrayVar(&n.ICEServers, "webrtc-ice-server", n.ICEServers, "repeatable: STUN/TURN server for the viewer and its page: stun:HOST[:PORT] or turn:USER:PASSWORD@HOST[:PORT][?transport=udp|tcp]")
	fs.StringArrayVar(&n.AllowOrigins, "webrtc-allow-origin", n.AllowOrigins, "repeatable: web origin (https://player.example.org) whose pages may use the viewer and /whep (CORS); * = any, only without --token")
}
