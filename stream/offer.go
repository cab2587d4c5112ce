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
// events reports whether the offer also has a data channel (an application m-line not
// rejected): a video-only WHEP player plays without one and is sent no events.
func checkOffer(offer []byte) (events bool, err error) {
	var d sdp.SessionDescription
	if err := d.Unmarshal(offer); err != nil {
		return false, fmt.Errorf("%w: not an SDP offer: %v", ErrOffer, err)
	}
	for _, m := range d.MediaDescriptions {
		if m != nil && strings.EqualFold(m.MediaName.Media, "application") && !rejected(m) {
			events = true
		}
	}
	sessionDir := direction(d.Attributes, "sendrecv")
	for _, m := range d.MediaDescriptions {
		if m == nil || !strings.EqualFold(m.MediaName.Media, "video") {
			continue
		}
		if rejected(m) {
			continue
		}
		if dir := direction(m.Attributes, sessionDir); dir != "recvonly" && dir != "sendrecv" {
			continue
		}
		if hasVP8(m) {
			return events, nil
		}
	}
	return false, fmt.Errorf("%w: no video to receive: want a recvonly (or sendrecv) video m-line offering VP8", ErrOffer)
}

// rejected reports an m-line turned off: port 0 without bundle-only.
func rejected(m *sdp.MediaDescription) bool {
	_, bundleOnly := m.Attribute("bundle-only")
	return m.MediaName.Port.Value == 0 && !bundleOnly
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
