package stream

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/metaood/metaood/stream/netcfg"
)

//go:embed web/index.html
var indexHTML []byte

const (
	maxSDPBytes    = 64 << 10        // an SDP offer is a few KiB; more is not an offer
	gatherTimeout  = 2 * time.Second // then answer with the candidates gathered: a slow STUN/TURN server costs no more
	maxGatherWait  = 5 * time.Second // for the first candidate, on a swamped machine
	connectTimeout = 5 * time.Second // answered but not connected: the slot is freed after this
	whepPath       = "/whep"
)

// pageCSP keeps the page to its own inline code and this origin: no external assets.
const pageCSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
	"connect-src 'self'; media-src 'self' blob:; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"

// routes is the HTTP surface: the page, WHEP (POST offer, DELETE resource), sources, the
// page's settings, metrics, all behind CORS and the guard; /healthz and /readyz before both.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handlePage)
	mux.HandleFunc("POST "+whepPath, s.handleOffer)
	mux.HandleFunc("OPTIONS "+whepPath, s.handleOptions)
	mux.HandleFunc("DELETE "+whepPath+"/{id}", s.handleDelete)
	mux.HandleFunc("PATCH "+whepPath+"/{id}", s.handlePatch)
	mux.HandleFunc("GET /sources", s.handleSources)
	mux.HandleFunc("GET /config", s.handleConfig)
	var g prometheus.Gatherer = s.m.reg
	if s.cfg.Metrics != nil {
		g = s.cfg.Metrics
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	count := func(reason string) { s.m.rejected.WithLabelValues(reason).Inc() }
	guarded := &guard{next: mux, token: s.cfg.Token, public: s.cfg.AllowPublic, onReject: count}
	top := http.NewServeMux()
	top.HandleFunc("GET /healthz", s.handleHealth)
	top.HandleFunc("GET /readyz", s.handleReady)
	top.Handle("/", newCORS(guarded, s.cfg.AllowOrigins, count))
	return top
}

// reject writes a one-line plain-text error and counts it.
func (s *Server) reject(w http.ResponseWriter, reason string, code int, format string, args ...any) {
	s.m.rejected.WithLabelValues(reason).Inc()
	http.Error(w, fmt.Sprintf(format, args...), code)
}

func (s *Server) handlePage(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Referrer-Policy", "no-referrer") // the URL may carry the token
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(indexHTML)
}

func (s *Server) handleOptions(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Accept-Post", "application/sdp")
	w.Header().Set("Allow", "OPTIONS, POST")
	w.WriteHeader(http.StatusNoContent)
}

// handlePatch answers trickle-ICE/ICE-restart requests: unsupported (RFC 9725 allows 405),
// the server's answer already carries all its candidates.
func (s *Server) handlePatch(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Allow", "DELETE")
	s.reject(w, "patch", http.StatusMethodNotAllowed, "trickle ICE is not supported: send a complete offer")
}

// handleOffer takes an SDP offer and answers with 201, the answer SDP and the resource's Location.
func (s *Server) handleOffer(w http.ResponseWriter, r *http.Request) {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/sdp" {
		s.reject(w, "content-type", http.StatusUnsupportedMediaType, "Content-Type must be application/sdp, got %q", r.Header.Get("Content-Type"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSDPBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.reject(w, "size", http.StatusRequestEntityTooLarge, "SDP offer larger than %d bytes", maxSDPBytes)
			return
		}
		s.reject(w, "read", http.StatusBadRequest, "reading the offer: %v", err)
		return
	}
	name := r.URL.Query().Get("source")
	src, names := s.pickSource(name)
	if src == nil {
		if len(names) == 0 {
			w.Header().Set("Retry-After", "1")
			s.reject(w, "no-source", http.StatusServiceUnavailable, "no source has delivered a frame yet; retry shortly")
			return
		}
		s.reject(w, "source", http.StatusNotFound, "unknown source %q; available: %s", name, strings.Join(names, ", "))
		return
	}
	events, err := checkOffer(body) // before a slot is taken
	if err != nil {
		s.reject(w, "offer", http.StatusBadRequest, "%v", err)
		return
	}
	switch err := s.reserveSlot(); {
	case errors.Is(err, errViewersFull):
		w.Header().Set("Retry-After", "5")
		s.reject(w, "viewers", http.StatusServiceUnavailable, "all %d viewer slots are taken; close another viewer or raise the viewer limit", s.cfg.MaxViewers)
		return
	case err != nil:
		w.Header().Set("Retry-After", "2")
		s.reject(w, "pending", http.StatusServiceUnavailable, "%d viewers are still connecting; retry shortly", s.cfg.MaxPending)
		return
	}
	defer s.releaseSlot() // the viewer, if any, now counts in s.viewers
	answer, v, err := s.connect(r, src, string(body), events)
	if err != nil {
		s.reject(w, "offer", http.StatusBadRequest, "%v", err)
		return
	}
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", whepPath+"/"+v.id)
	for _, l := range iceLinks(s.ice) {
		w.Header().Add("Link", l)
	}
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// connect creates the viewer's peer connection, applies the offer and returns the answer with
// the candidates gathered (all of them, unless gathering outlasts gatherTimeout). events: the
// offer has a data channel, so the viewer gets events.
func (s *Server) connect(r *http.Request, src *source, offer string, events bool) (string, *viewer, error) {
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{ICEServers: webrtcICEServers(s.ice)})
	if err != nil {
		return "", nil, fmt.Errorf("new peer connection: %w", err)
	}
	v := newViewer(s, src, newID())
	v.pc = pc
	v.noEvents = !events
	fail := func(format string, err error) (string, *viewer, error) {
		_ = pc.Close()
		return "", nil, fmt.Errorf(format, err)
	}
	v.track, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
		"video", "metaood-"+src.name)
	if err != nil {
		return fail("new track: %w", err)
	}
	v.sender, err = pc.AddTrack(v.track)
	if err != nil {
		return fail("add track: %w", err)
	}
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		if dc.Label() != "events" {
			return
		}
		dc.OnOpen(func() {
			select {
			case v.dc <- dc:
			default:
			}
		})
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		v.log.Debug("peer state", "state", st.String())
		switch st {
		case webrtc.PeerConnectionStateConnected:
			// Frames written before the transport was up went nowhere: start this viewer
			// on a fresh keyframe.
			v.waitKey.Store(true)
			src.forceKey.Store(true)
			s.setConnected(v)
			v.log.Info("viewer connected")
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			go s.removeViewer(v) // never close a peer from inside its own callback
		}
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return fail("bad SDP offer: %w", err)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail("cannot answer the offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return fail("set local description: %w", err)
	}
	select {
	case <-gathered:
	case <-time.After(gatherTimeout):
		// A STUN or TURN server that is slow to answer: the host candidates are in already,
		// unless the machine is swamped; then wait for one a little longer.
		stop := make(chan struct{})
		defer close(stop)
		select {
		case <-gathered:
		case <-waitCandidate(pc, maxGatherWait-gatherTimeout, stop):
			v.log.Warn("ICE gathering incomplete; answering with the candidates gathered so far", "after", gatherTimeout)
		case <-r.Context().Done():
			return fail("%w", r.Context().Err())
		}
		if !strings.Contains(pc.LocalDescription().SDP, "a=candidate:") {
			return fail("%w", errors.New("no ICE candidate gathered in time"))
		}
	case <-r.Context().Done():
		return fail("%w", r.Context().Err())
	}
	// A player that takes the answer and never connects must not hold a viewer slot. The
	// timer may fire (and close v) before the store below: close reads it atomically.
	timer := time.AfterFunc(s.connectTimeout, func() {
		if pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
			v.log.Warn("viewer never connected; dropping it", "after", s.connectTimeout)
			s.removeViewer(v)
		}
	})
	v.connectTimer.Store(timer)
	if err := s.addViewer(v); err != nil {
		timer.Stop()
		return fail("%w", err)
	}
	v.log.Info("viewer joined", "remote", r.RemoteAddr)
	return pc.LocalDescription().SDP, v, nil
}

// handleDelete ends a WHEP session.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	v := s.viewers[r.PathValue("id")]
	s.mu.Unlock()
	if v == nil {
		s.reject(w, "unknown", http.StatusNotFound, "no such WHEP session")
		return
	}
	s.removeViewer(v)
	w.WriteHeader(http.StatusOK)
}

// sourceInfo is one entry of GET /sources.
type sourceInfo struct {
	Name    string `json:"name"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Viewers int    `json:"viewers"`
	Dropped uint64 `json:"dropped"`
}

func (s *Server) handleSources(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	list := make([]sourceInfo, 0, len(s.order))
	for _, n := range s.order {
		src := s.sources[n]
		src.mu.Lock()
		list = append(list, sourceInfo{Name: n, Width: src.w, Height: src.h, Viewers: len(src.viewers), Dropped: src.dropped.Load()})
		src.mu.Unlock()
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(list)
}

// iceLinks are the ICE servers as RFC 9725 §4.6 Link headers, for WHEP players (which may use
// them for their next session: the answer comes after their offer).
func iceLinks(list []netcfg.ICEServer) []string {
	out := make([]string, 0, len(list))
	for _, is := range list {
		l := "<" + is.URL + `>; rel="ice-server"`
		if is.IsTURN() {
			l += fmt.Sprintf(`; username=%q; credential=%q; credential-type="password"`, is.Username, is.Credential)
		}
		out = append(out, l)
	}
	return out
}

// waitCandidate closes its channel once pc's local description holds a candidate, or after d;
// it stops looking when stop closes.
func waitCandidate(pc *webrtc.PeerConnection, d time.Duration, stop <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for end := time.Now().Add(d); time.Now().Before(end); {
			if ld := pc.LocalDescription(); ld != nil && strings.Contains(ld.SDP, "a=candidate:") {
				return
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return done
}
