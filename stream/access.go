package stream

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Guard puts next behind the live viewer's access checks, for another HTTP server of the same
// program (metaood's --metrics): when token is set, a request must carry it, as
// "Authorization: Bearer <token>" (the scheme in any case, RFC 7235) or as ?token=<token>;
// then, unless allowPublic, its Host header must name a loopback address, so that a web page
// rebinding its own name to 127.0.0.1 cannot read the endpoint. The token is checked first, and
// no refusal repeats it.
func Guard(next http.Handler, token string, allowPublic bool) http.Handler {
	return &guard{next: next, token: token, public: allowPublic}
}

// guard is Guard's handler; the Server's own counts its refusals.
type guard struct {
	next     http.Handler
	token    string
	public   bool
	onReject func(reason string) // may be nil
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.token != "" && !tokenOK(r, g.token) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="metaood"`)
		g.refuse(w, "token", http.StatusUnauthorized,
			"missing or wrong token: open the URL metaood printed (it carries ?token=) or send Authorization: Bearer <token>")
		return
	}
	if !g.public {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		if !isLoopbackHost(host) {
			g.refuse(w, "host", http.StatusForbidden, fmt.Sprintf("Host %q is not loopback; use %s", r.Host, localURL(r)))
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

// refuse writes a one-line plain-text error and counts it.
func (g *guard) refuse(w http.ResponseWriter, reason string, code int, msg string) {
	if g.onReject != nil {
		g.onReject(reason)
	}
	http.Error(w, msg, code)
}

// tokenOK reports whether r carries token: in a Bearer Authorization header or, without one,
// in ?token=. Both sides are hashed first, so that the comparison takes the same time whatever
// the length of the guess.
func tokenOK(r *http.Request, token string) bool {
	got, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		got = r.URL.Query().Get("token")
	}
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// bearer returns the credentials of an "Authorization: Bearer …" value; the scheme is
// case-insensitive (RFC 7235 §2.1).
func bearer(h string) (string, bool) {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(cred), true
}

// localURL is the address a refused request should use instead: the listener's own (a
// loopback address, since the Host check is on only then), never with the token.
func localURL(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
		return (&url.URL{Scheme: "http", Host: net.JoinHostPort(a.IP.String(), fmt.Sprint(a.Port)), Path: "/"}).String()
	}
	return "the address metaood printed"
}

// redactToken returns u with the value of its token parameter replaced by REDACTED, for logs.
func redactToken(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	q := p.Query()
	if !q.Has("token") {
		return u
	}
	q.Set("token", "REDACTED")
	p.RawQuery = q.Encode()
	return p.String()
}
