package config

import (
	"reflect"
	"testing"
)

// TestWebRTCNetParses: a deployment's network settings load as written.
func TestWebRTCNetParses(t *testing.T) {
	c, err := Parse([]byte(`webrtc: 0.0.0.0:8080
public: true
token: s3cret
webrtc_udp_port: 8189
webrtc_public_ips: [203.0.113.7]
webrtc_ice_servers: ['stun:stun.example.org:3478', 'turn:rig:pw@turn.example.org?transport=tcp']
webrtc_allow_origins: ['https://player.example.org']
`))
	if err != nil {
		t.Fatal(err)
	}
	want := WebRTCNet{UDPPort: 8189, PublicIPs: []string{"203.0.113.7"},
		ICEServers:   []string{"stun:stun.example.org:3478", "turn:rig:pw@turn.example.org?transport=tcp"},
		AllowOrigins: []string{"https://player.example.org"}}
	if !reflect.DeepEqual(c.WebRTCNet, want) {
		t.Errorf("loaded %+v, want %+v", c.WebRTCNet, want)
	}
	c, err = Parse([]byte("webrtc_allow_origins: ['*']")) // any origin: only without a token
	if err != nil || c.AllowOrigins[0] != "*" {
		t.Errorf("* without a token: %v %v", c.AllowOrigins, err)
	}
}
