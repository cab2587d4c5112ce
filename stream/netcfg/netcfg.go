// Package netcfg parses the live viewer's network settings: STUN/TURN servers, the web origins
// allowed to call it (CORS) and the public addresses it advertises. It is pure Go (no pion, no
// cgo), so that both config (validating a user's settings) and stream (using them) share one
// parser.
package netcfg

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// ErrSetting reports a network setting that does not parse; the message says what is wrong.
var ErrSetting = errors.New("invalid network setting")

// ICEServer is one STUN or TURN server, in the shape of the browser's RTCIceServer.
type ICEServer struct {
	URL        string `json:"urls"`                 // scheme:host:port[?transport=…], without credentials
	Username   string `json:"username,omitempty"`   // TURN only
	Credential string `json:"credential,omitempty"` // TURN only
}

// IsTURN reports whether s is a relay (TURN) server.
func (s ICEServer) IsTURN() bool { return strings.HasPrefix(s.URL, "turn") }

// ICEServerSyntax is what ParseICEServer accepts, for messages.
const ICEServerSyntax = "stun:HOST[:PORT], stuns:HOST[:PORT], turn:USER:PASSWORD@HOST[:PORT][?transport=udp|tcp] or turns:USER:PASSWORD@HOST[:PORT][?transport=tcp]"

// ParseICEServer reads a STUN/TURN URL (RFC 7064, RFC 7065). TURN needs credentials, given
// between the scheme and the host as USER:PASSWORD@ (the last @ ends the password; the user name
// has no colon); STUN takes none.
func ParseICEServer(s string) (ICEServer, error) {
	bad := func(format string, args ...any) (ICEServer, error) {
		return ICEServer{}, fmt.Errorf("%w: ICE server %q: %s; want %s", ErrSetting, redact(s), fmt.Sprintf(format, args...), ICEServerSyntax)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return bad("it contains spaces or control characters")
	}
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok {
		return bad("no scheme")
	}
	scheme = strings.ToLower(scheme)
	turn := scheme == "turn" || scheme == "turns"
	if !turn && scheme != "stun" && scheme != "stuns" {
		return bad("unknown scheme %q", scheme)
	}
	out := ICEServer{}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		user, pass, ok := strings.Cut(rest[:at], ":")
		switch {
		case !turn:
			return bad("a STUN server takes no credentials")
		case !ok || user == "" || pass == "":
			return bad("credentials must be USER:PASSWORD@")
		}
		out.Username, out.Credential, rest = user, pass, rest[at+1:]
	} else if turn {
		return bad("a TURN server needs credentials (browsers refuse it without)")
	}
	hostport, query, _ := strings.Cut(rest, "?")
	host, port := hostport, ""
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	} else if strings.Count(hostport, ":") > 0 && !strings.HasPrefix(hostport, "[") {
		return bad("host:port %q does not parse", hostport)
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" || strings.ContainsAny(host, "/@ ") {
		return bad("no valid host")
	}
	if port != "" {
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return bad("port %q is not 1..65535", port)
		}
	}
	if query != "" {
		q, err := url.ParseQuery(query)
		tr := strings.ToLower(q.Get("transport"))
		switch {
		case err != nil || len(q) != 1 || len(q["transport"]) != 1:
			return bad("the only parameter is transport=")
		case !turn:
			return bad("a STUN URL takes no parameters")
		case tr != "udp" && tr != "tcp" || scheme == "turns" && tr == "udp":
			return bad("transport %q (turn: udp or tcp; turns: tcp)", tr)
		}
		query = "transport=" + tr
	}
	out.URL = scheme + ":" + hostport
	if query != "" {
		out.URL += "?" + query
	}
	return out, nil
}

// redact hides the password of a TURN URL (USER:PASSWORD@) for messages.
func redact(s string) string {
	scheme, rest, ok := strings.Cut(s, ":")
	at := strings.LastIndex(rest, "@")
	if !ok || at < 0 {
		return s
	}
	user, _, _ := strings.Cut(rest[:at], ":")
	return scheme + ":" + user + ":REDACTED" + rest[at:]
}

// ParseOrigin checks a web origin as a browser sends it in the Origin header: scheme://host with
// an optional port, no path, or "*" for any origin. It returns the origin in lower case.
func ParseOrigin(s string) (string, error) {
	if s == "*" {
		return s, nil
	}
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w: origin %q: %s; want scheme://host[:port] as the browser's address bar shows the player's page (e.g. https://player.example.org), or *", ErrSetting, s, why)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return bad(err.Error())
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("scheme must be http or https")
	case u.Host == "" || u.Hostname() == "":
		return bad("no host")
	case u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "#"):
		return bad("an origin has no user, path, query or fragment (not even a trailing /)")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return bad("port is not 1..65535")
		}
	}
	return strings.ToLower(s), nil
}

// ParsePublicIP checks an address to advertise to viewers: an IPv4 address that is neither
// unspecified (0.0.0.0) nor multicast. (The viewer's WebRTC uses IPv4 only.)
func ParsePublicIP(s string) (string, error) {
	ip := net.ParseIP(strings.TrimSpace(s))
	switch {
	case ip == nil:
		return "", fmt.Errorf("%w: public IP %q is not an IP address (give the address viewers reach this machine at, e.g. 203.0.113.7)", ErrSetting, s)
	case ip.To4() == nil:
		return "", fmt.Errorf("%w: public IP %q is IPv6; the live viewer's WebRTC uses IPv4: give an IPv4 address", ErrSetting, s)
	case ip.IsUnspecified() || ip.IsMulticast():
		return "", fmt.Errorf("%w: public IP %q cannot be reached by viewers; give the address they reach this machine at", ErrSetting, s)
	}
	return ip.To4().String(), nil
}
