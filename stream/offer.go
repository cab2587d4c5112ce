package stream

import (
	"fmt"
	"strings"

	"github.com/pion/sdp/v3"
)

// checkOffer accepts an offer only when it has a video m-line this server can send its VP8 to:
// not rejected (port 0 without bundle-only), direction recvonly or sendrecv (the default, also
// at session level), and VP8/90000 among its payload types. Anything else (audio only, a data
// channel only, video the peer would only send) would take a viewer slot for nothing.
func checkOffer(offer []byte) error {
	var d sdp.SessionDescription
	if err := d.Unmarshal(offer); err != nil {
		return fmt.Errorf("%w: not an SDP offer: %v", ErrOffer, err)
	}
	sessionDir := direction(d.Attributes, "sendrecv")
	for _, m := range d.MediaDescriptions {
		if m == nil || !strings.EqualFold(m.MediaName.Media, "video") {
			continue
		}
		if _, bundleOnly := m.Attribute("bundle-only"); m.MediaName.Port.Value == 0 && !bundleOnly {
			continue
		}
		if dir := direction(m.Attributes, sessionDir); dir != "recvonly" && dir != "sendrecv" {
			continue
		}
		if hasVP8(m) {
			return nil
		}
	}
	return fmt.Errorf("%w: no video to receive: want a recvonly (or sendrecv) video m-line offering VP8", ErrOffer)
}

// direction is the last direction attribute among attrs, or def.
func direction(attrs []sdp.Attribute, def string) string {
	for _, a := range attrs {
		switch a.Key {
		case "sendrecv", "sendonly", "recvonly", "inactive":
			def = a.Key
		}
	}
	return def
}

// hasVP8 reports whether one of m's payload types maps to VP8/90000.
func hasVP8(m *sdp.MediaDescription) bool {
	for _, a := range m.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		pt, codec, ok := strings.Cut(a.Value, " ")
		if !ok {
			continue
		}
		name, rate, _ := strings.Cut(strings.TrimSpace(codec), "/")
		if !strings.EqualFold(name, "VP8") || rate != "90000" && !strings.HasPrefix(rate, "90000/") {
			continue
		}
		for _, f := range m.MediaName.Formats {
			if f == pt {
				return true
			}
		}
	}
	return false
}
