package stream

import (
	"net/http"
	"slices"
	"strings"

	"github.com/metaood/metaood/stream/netcfg"
)

// CORS values: what a WHEP player on another origin needs (RFC 9725 §4.1 asks WHEP servers to
// answer the preflight; the resource URL, ETag and ICE-server links must be readable).
const (
	corsAllowMethods  = "POST, PATCH, DELETE, OPTIONS"
	corsAllowHeaders  = "Authorization, Content-Type, If-Match"
	corsExposeHeaders = "Location, ETag, Link"
	corsMaxAge        = "600"
)

// cors answers CORS preflights before the token check (a browser never sends credentials in a
// preflight, so a cross-origin player with a bearer token could not pass it otherwise) and adds
// the CORS headers to the answers for an allowed origin; the request itself still goes through
// next, the guard. An origin not allowed gets a 403 preflight and no CORS headers, so its page
// can read nothing.
type cors struct {
	next     http.Handler
	origins  []string // lower case; "*" = any
	onReject func(reason string)
}

func newCORS(next http.Handler, origins []string, onReject func(string)) *cors {
	c := &cors{next: next, onReject: onReject}
	for _, o := range origins {
		if p, err := netcfg.ParseOrigin(o); err == nil { // checked by Validate
			c.origins = append(c.origins, p)
		}
	}
	return c
}

// allowOrigin is the Access-Control-Allow-Origin value for origin, or "" when it is not allowed.
func (c *cors) allowOrigin(origin string) string {
	switch {
	case origin == "" || len(c.origins) == 0:
		return ""
	case slices.Contains(c.origins, "*"):
		return "*"
	case slices.Contains(c.origins, strings.ToLower(origin)):
		return origin
	}
	return ""
}

func (c *cors) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	allowed := c.allowOrigin(origin)
	h := w.Header()
	if len(c.origins) > 0 && allowed != "*" {
		h.Add("Vary", "Origin") // the answer depends on it: caches must not mix origins
	}
	preflight := r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != ""
	if !preflight {
		if allowed != "" {
			h.Set("Access-Control-Allow-Origin", allowed)
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		c.next.ServeHTTP(w, r)
		return
	}
	if allowed == "" {
		if c.onReject != nil {
			c.onReject("origin")
		}
		http.Error(w, "origin "+origin+" may not call this viewer across origins: add it to the viewer's allowed origins", http.StatusForbidden)
		return
	}
	h.Set("Access-Control-Allow-Origin", allowed)
	h.Set("Access-Control-Allow-Methods", corsAllowMethods)
	h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	h.Set("Access-Control-Max-Age", corsMaxAge)
	if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
		// Chromium asks before a public page reaches a private address (a rig on the LAN).
		h.Set("Access-Control-Allow-Private-Network", "true")
	}
	h.Set("Accept-Post", "application/sdp")
	w.WriteHeader(http.StatusNoContent)
}
