package stream

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"

	"github.com/metaood/metaood/stream/netcfg"
)

// stunGatherTimeout bounds the wait for a STUN server's answer while gathering, so that an
// unreachable one delays an answer by this much at most (answers wait for gathering).
const stunGatherTimeout = 2 * time.Second

// newAPI builds pion's API: VP8 only, default interceptors (NACK, RTCP reports, TWCC), UDP4,
// no mDNS, loopback candidates included (and only those unless AllowPublic), short ICE timeouts
// so a vanished viewer frees its slot within seconds. With cfg.UDPPort every viewer shares one
// UDP socket per local address (pion's ICE UDP mux); the returned closer frees it (nil without).
// cfg.PublicIPs are advertised as extra host candidates.
func newAPI(cfg Config) (*webrtc.API, io.Closer, error) {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"},
				{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "transport-cc"}}},
		PayloadType: 96,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, nil, fmt.Errorf("stream: register VP8: %w", err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		return nil, nil, fmt.Errorf("stream: interceptors: %w", err)
	}
	loopbackOnly := !cfg.AllowPublic
	keep := func(ip net.IP) bool { return !loopbackOnly || ip.IsLoopback() }
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(3*time.Second, 8*time.Second, time.Second)
	se.SetSTUNGatherTimeout(stunGatherTimeout)
	if loopbackOnly {
		se.SetIPFilter(keep)
	}
	if len(cfg.PublicIPs) > 0 {
		ips := make([]string, len(cfg.PublicIPs))
		for i, s := range cfg.PublicIPs {
			ips[i], _ = netcfg.ParsePublicIP(s) // checked by Validate
		}
		// Appended, not replacing the local addresses: viewers on the LAN keep the direct path.
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External: ips, AsCandidateType: webrtc.ICECandidateTypeHost, Mode: webrtc.ICEAddressRewriteAppend,
		}); err != nil {
			return nil, nil, fmt.Errorf("%w: public IPs %v: %v", ErrConfig, cfg.PublicIPs, err)
		}
	}
	var closer io.Closer
	if cfg.UDPPort != 0 {
		mux, err := listenUDPMux(cfg, keep)
		if err != nil {
			return nil, nil, err
		}
		se.SetICEUDPMux(mux)
		closer = mux
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), closer, nil
}

// udpMux is what listenUDPMux returns: pion's mux, which the server closes with itself.
type udpMux interface {
	ice.UDPMux
	io.Closer
}

// listenUDPMux opens the one UDP port of all viewers on the host of cfg.Addr: one socket on
// that address, or, when the host is unspecified (0.0.0.0, ""), one per local IPv4 address
// kept by keep (pion's multi mux: a reply then leaves from the address the viewer reached).
func listenUDPMux(cfg Config, keep func(net.IP) bool) (udpMux, error) {
	host, _, _ := net.SplitHostPort(cfg.Addr) // checked by Validate
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip != nil && ip.To4() == nil && !ip.IsUnspecified() { // media is IPv4 only
		if !ip.IsLoopback() {
			return nil, fmt.Errorf("%w: a shared UDP port needs an IPv4 listen address, not %s", ErrConfig, host)
		}
		ip = net.IPv4(127, 0, 0, 1)
	}
	log := logging.NewDefaultLoggerFactory().NewLogger("ice")
	busy := func(err error) error {
		return fmt.Errorf("%w: UDP port %d for WebRTC media: %v (pick another UDP port, or 0 for a port per viewer)", ErrListen, cfg.UDPPort, err)
	}
	if ip == nil || ip.IsUnspecified() {
		m, err := ice.NewMultiUDPMuxFromPort(cfg.UDPPort, ice.UDPMuxFromPortWithNetworks(ice.NetworkTypeUDP4),
			ice.UDPMuxFromPortWithLoopback(), ice.UDPMuxFromPortWithIPFilter(keep), ice.UDPMuxFromPortWithLogger(log))
		if err != nil {
			return nil, busy(err)
		}
		return m, nil
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: ip, Port: cfg.UDPPort})
	if err != nil {
		return nil, busy(err)
	}
	return ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn, Logger: log}), nil
}

// udpPortString is the UDP port for logs: the shared one, or "per viewer".
func udpPortString(port int) string {
	if port == 0 {
		return "per viewer"
	}
	return strconv.Itoa(port)
}

// webrtcICEServers turns the parsed servers into pion's configuration.
func webrtcICEServers(list []netcfg.ICEServer) []webrtc.ICEServer {
	out := make([]webrtc.ICEServer, 0, len(list))
	for _, s := range list {
		is := webrtc.ICEServer{URLs: []string{s.URL}}
		if s.IsTURN() {
			is.Username, is.Credential, is.CredentialType = s.Username, s.Credential, webrtc.ICECredentialTypePassword
		}
		out = append(out, is)
	}
	return out
}
