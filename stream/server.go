// Package stream serves live WebRTC monitoring: a WHEP endpoint (RFC 9725 shapes) that hands
// each viewer the source's VP8 video, a data channel carrying the events JSON, and an embedded
// viewer page. One encoder per source feeds all its viewers; each viewer has bounded queues,
// so a slow viewer drops frames and events and never stalls the pipeline or other viewers.
// For deployment: CORS for WHEP players on other origins (cors.go), /healthz and /readyz
// (health.go), and ICE settings for NATs and containers: one UDP port for every viewer, public
// IPs, STUN/TURN servers (ice.go).
package stream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/metaood/metaood/stream/netcfg"
)

// Server is the live viewer: HTTP (page, /whep, /metrics) plus WebRTC peers.
type Server struct {
	cfg  Config
	log  *slog.Logger
	m    *metrics
	api  *webrtc.API
	mux  io.Closer          // the shared UDP port's mux (Config.UDPPort); nil without
	ice  []netcfg.ICEServer // Config.ICEServers, parsed
	ln   net.Listener
	url  string
	http *http.Server

	ctx    context.Context // lives until Run returns or Close; parent of encoder goroutines
	cancel context.CancelFunc
	wg     sync.WaitGroup // encoder and viewer goroutines

	mu        sync.Mutex
	sources   map[string]*source
	order     []string // source names in order of first frame
	viewers   map[string]*viewer
	state     map[string]stateEvent // latest banner (emergency/clear) and stats event per source, replayed to newcomers
	nEvents   uint64                // events published, orders the replay
	answering int                   // offers being answered (slots reserved, pending)
	closed    bool

	ready          atomic.Bool // a frame has been published: /readyz says ready
	badFrames      sync.Once
	connectTimeout time.Duration // a viewer not connected by then is dropped
}

// New checks cfg, opens the listener (so URL is exact, even for port 0) and prepares WebRTC.
// It refuses a non-loopback Addr unless cfg.AllowPublic. Call Run to serve, or Close.
func New(cfg Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ice, err := cfg.iceServers()
	if err != nil {
		return nil, err
	}
	api, mux, err := newAPI(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		if mux != nil {
			_ = mux.Close()
		}
		return nil, fmt.Errorf("%w: --webrtc %s: %v (pick another port)", ErrListen, cfg.Addr, err)
	}
	s := &Server{
		cfg: cfg, log: log.With("stage", "stream"), m: newMetrics(), api: api, mux: mux, ice: ice, ln: ln,
		connectTimeout: connectTimeout,
		sources:        map[string]*source{}, viewers: map[string]*viewer{}, state: map[string]stateEvent{},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.url = viewerURL(ln.Addr().(*net.TCPAddr), cfg.Token)
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	return s, nil
}

// viewerURL is the page's address; an unspecified listen address is shown as 127.0.0.1.
func viewerURL(a *net.TCPAddr, token string) string {
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	u := url.URL{Scheme: "http", Host: net.JoinHostPort(host, fmt.Sprint(a.Port)), Path: "/"}
	if token != "" {
		u.RawQuery = url.Values{"token": {token}}.Encode()
	}
	return u.String()
}

// URL returns the viewer page's address, http://addr/ (with ?token=… when a token is set).
// It carries the secret: show it to the user who started the server, never write it to a log.
func (s *Server) URL() string { return s.url }

// RedactedURL is URL with the token's value replaced by REDACTED, for logs and other output
// that someone other than the user may read.
func (s *Server) RedactedURL() string { return redactToken(s.url) }

// Collectors returns the Prometheus collectors (viewers, frames encoded/dropped, events), for
// a pipeline that serves its own registry; /metrics on this server serves them too.
func (s *Server) Collectors() []prometheus.Collector { return s.m.collectors() }

// Run serves until ctx is done, then closes every peer and waits for its goroutines.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.mu.Unlock()
	s.log.Info("live viewer", "url", s.RedactedURL(), "udp_port", udpPortString(s.cfg.UDPPort),
		"public_ips", s.cfg.PublicIPs, "ice_servers", len(s.ice), "allowed_origins", s.cfg.AllowOrigins)
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if serr := s.http.Shutdown(shutCtx); serr != nil {
		s.log.Warn("http shutdown", "err", serr)
	}
	s.Close()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("stream: serve %s: %w", s.cfg.Addr, err)
	}
	return nil
}

// Close stops serving (when Run was never called, it frees the listener), closes every
// peer and waits for the goroutines. Safe to call more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	vs := make([]*viewer, 0, len(s.viewers))
	for _, v := range s.viewers {
		vs = append(vs, v)
	}
	s.mu.Unlock()
	s.cancel()
	_ = s.http.Close()
	_ = s.ln.Close() // when Run never served it, http.Server does not know the listener
	for _, v := range vs {
		s.removeViewer(v)
	}
	s.wg.Wait()
	if s.mux != nil {
		_ = s.mux.Close() // after the peers: they use it until closed
	}
}

// PublishFrame offers one BGR24 frame of source for streaming. It never blocks: the frame is
// copied into the source's one-slot queue (replacing an older one not yet encoded) or, with
// nobody watching, ignored. seq is drawn as the frame marker when Config.FrameMarker is set.
func (s *Server) PublishFrame(source string, seq uint64, captured time.Time, w, h int, bgr []byte) {
	if w <= 0 || h <= 0 || len(bgr) != 3*w*h {
		s.m.framesDropped.WithLabelValues(source, "invalid").Inc()
		s.badFrames.Do(func() {
			s.log.Warn("frame not streamed", "err", fmt.Errorf("%w: %s/%d: %d bytes for %dx%d BGR24 (want %d)",
				ErrFrame, source, seq, len(bgr), w, h, 3*w*h))
		})
		return
	}
	s.ready.Store(true)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	src := s.sources[source]
	if src == nil {
		src = newSource(s, source)
		s.sources[source] = src
		s.order = append(s.order, source)
	}
	s.mu.Unlock()
	src.publish(seq, captured, w, h, bgr)
}

// stateEvent is a remembered event and its publication number.
type stateEvent struct {
	n   uint64
	msg []byte
}

// eventHead is what the server reads of an event: enough to keep the banner state.
type eventHead struct {
	Type   string `json:"type"`
	Source string `json:"source"`
}

// PublishEvent sends one event (the events-file JSON object) to every viewer's data channel.
// It never blocks: each viewer has a bounded queue and drops (counted) when it is full.
// The latest emergency/clear and stats events per source are replayed to viewers who join later.
func (s *Server) PublishEvent(msg []byte) {
	var h eventHead
	if err := json.Unmarshal(msg, &h); err != nil {
		s.m.eventsDropped.Inc()
		s.log.Debug("event not sent: not a JSON object", "err", err)
		return
	}
	b := append([]byte(nil), msg...) // the caller may reuse msg
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.nEvents++
	switch h.Type {
	case "emergency", "clear":
		s.state[h.Source+"\x00banner"] = stateEvent{s.nEvents, b}
	case "stats":
		s.state[h.Source+"\x00stats"] = stateEvent{s.nEvents, b}
	}
	for _, v := range s.viewers {
		if !v.noEvents {
			v.pushEvent(b)
		}
	}
}

// addViewer registers v under the server lock, queueing the replay state first so that the
// viewer sees events in order.
func (s *Server) addViewer(v *viewer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || v.removed {
		return ErrClosed
	}
	replay := make([]stateEvent, 0, len(s.state))
	for _, e := range s.state {
		replay = append(replay, e)
	}
	sort.Slice(replay, func(i, j int) bool { return replay[i].n < replay[j].n }) // as first published
	for _, e := range replay {
		if !v.noEvents {
			v.pushEvent(e.msg)
		}
	}
	s.viewers[v.id] = v
	v.src.addViewer(s.ctx, &s.wg, v)
	s.wg.Add(3)
	go func() { defer s.wg.Done(); v.readRTCP() }()
	go func() { defer s.wg.Done(); v.writeFrames() }()
	go func() { defer s.wg.Done(); v.writeEvents() }()
	return nil
}

// removeViewer forgets v and closes it; safe from pion callbacks and more than once.
func (s *Server) removeViewer(v *viewer) {
	s.mu.Lock()
	v.removed = true // a peer that fails before addViewer must not be added afterwards
	if s.viewers[v.id] == v {
		delete(s.viewers, v.id)
	}
	s.mu.Unlock()
	v.src.removeViewer(v)
	v.close()
}

// viewerCount is the number of connected or connecting viewers.
func (s *Server) viewerCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.viewers)
}

// Reasons reserveSlot refuses an offer.
var (
	errViewersFull = errors.New("all viewer slots are taken")
	errPendingFull = errors.New("too many viewers are still connecting")
)

// reserveSlot takes a viewer slot for an offer being answered, so that concurrent offers
// cannot exceed MaxViewers, nor viewers not yet connected MaxPending; releaseSlot gives it back
// once the viewer is registered or refused.
func (s *Server) reserveSlot() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.viewers)+s.answering >= s.cfg.MaxViewers {
		return errViewersFull
	}
	pending := s.answering
	for _, v := range s.viewers {
		if !v.connected {
			pending++
		}
	}
	if pending >= s.cfg.MaxPending {
		return errPendingFull
	}
	s.answering++
	return nil
}

// setConnected marks v connected: it no longer counts as pending.
func (s *Server) setConnected(v *viewer) {
	s.mu.Lock()
	v.connected = true
	s.mu.Unlock()
}

func (s *Server) releaseSlot() {
	s.mu.Lock()
	s.answering--
	s.mu.Unlock()
}

// pickSource returns the named source, or the first one when name is empty.
func (s *Server) pickSource(name string) (*source, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name == "" && len(s.order) > 0 {
		name = s.order[0]
	}
	return s.sources[name], append([]string(nil), s.order...)
}

// newID returns a random resource id for a viewer.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on Linux
	return hex.EncodeToString(b[:])
}
