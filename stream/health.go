package stream

import (
	"encoding/json"
	"io"
	"net/http"
)

// handleHealth answers /healthz: the process serves HTTP. No token, no Host check, and nothing
// in the answer but "ok": a container or service manager probes it from outside.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	plain(w, r, http.StatusOK, "ok\n")
}

// handleReady answers /readyz: 200 once a source has delivered a frame (there is something to
// watch), 503 before. Like /healthz, unauthenticated and revealing nothing else.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		w.Header().Set("Retry-After", "1")
		plain(w, r, http.StatusServiceUnavailable, "not ready: no frame yet\n")
		return
	}
	plain(w, r, http.StatusOK, "ready\n")
}

// plain writes a short uncached text answer (headers only for HEAD).
func plain(w http.ResponseWriter, r *http.Request, code int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, body)
	}
}

// pageConfig is GET /config: what the page needs before it makes its offer.
type pageConfig struct {
	ICEServers []iceServerJSON `json:"iceServers"`
}

// iceServerJSON is an RTCIceServer as the browser takes it.
type iceServerJSON struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// handleConfig serves the page's settings (behind the token: TURN credentials are in it).
func (s *Server) handleConfig(w http.ResponseWriter, _ *http.Request) {
	c := pageConfig{ICEServers: []iceServerJSON{}}
	for _, is := range s.ice {
		c.ICEServers = append(c.ICEServers, iceServerJSON{URLs: []string{is.URL}, Username: is.Username, Credential: is.Credential})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(c)
}
