// Package mqtt is the MQTT output of a run (eclipse/paho.mqtt.golang): each event goes to
// <prefix>/<source>/<type>, and each source keeps two retained states, Frigate's habit:
// <prefix>/<source>/available ("online", or "offline" when the source is lost or ended, the run
// ends, or, by the connection's Last Will, when metaood dies) and <prefix>/<source>/emergency
// (the active emergency's JSON, "none" once cleared). Emergencies, clears and the states go with
// QoS 1, the rest with QoS 0.
//
// MQTT gives a connection one Last Will, so each source has its own connection (client id
// <client-id>-<source>); "stats" events (source "all") use one named "all". A source's messages
// wait in a bounded queue of their own while its broker connection is down (paho reconnects
// with backoff; the states are published again after each reconnect, as a broker restarted
// without persistence has forgotten them): the pipeline never waits, and what the queue cannot
// hold is dropped, routine events first, counted and logged.
package mqtt

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/internal/counterdump"
	"github.com/metaood/metaood/pipeline"
)

// ErrConfig reports MQTT settings that cannot work (a broker URL without a host, a prefix with
// a wildcard).
var ErrConfig = errors.New("bad MQTT settings")

// Config is the MQTT output's settings.
type Config struct {
	// Broker is tcp://host[:1883], mqtt://, ssl://, tls://, mqtts:// (port 8883 when left out),
	// ws:// or wss:// (a path such as /mqtt is kept). Credentials do not belong in it.
	Broker string
	// Prefix heads every topic; default "metaood". It may hold '/' (e.g. "rigs/car7"), never
	// '+' or '#'.
	Prefix string
	// ClientID heads each connection's client id; default "metaood-<hostname>".
	ClientID           string
	Username, Password string
	// Types are the event types published on <prefix>/<source>/<type>; nil: DefaultTypes.
	// The emergency state topic is kept whatever the types.
	Types event.TypeSet
	// Queue bounds the messages waiting per source; default 256.
	Queue int
	// MaxReconnect bounds paho's reconnect backoff; default 10 s.
	MaxReconnect time.Duration
	// CloseWait is how long Close lets queued messages go out; default 3 s.
	CloseWait time.Duration
	Counters  pipeline.SinkCounters
	Log       *slog.Logger

	openConn paho.OpenConnectionFunc // tests: a connection they can cut
}

// DefaultTypes are the types published when Config.Types is nil: all but the per-frame
// "anomalies" (up to 30 a second per source; ask for them with the "anomalies" type).
var DefaultTypes = []string{event.TypeEmergency, event.TypeClear, event.TypeSource, event.TypeStats}

// Retained state payloads.
const (
	Online  = "online"
	Offline = "offline"
	None    = "none" // no active emergency
)

// Topic suffixes of the retained states.
const (
	TopicAvailable = "available"
	TopicEmergency = event.TypeEmergency // the emergency event itself is the state
)

// BrokerSchemes are the broker URL schemes paho connects with.
var BrokerSchemes = []string{"tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss"}

// CheckBroker reports a broker URL paho cannot use, or one that carries credentials.
func CheckBroker(broker string) error {
	u, err := url.Parse(broker)
	switch {
	case err != nil || u.Host == "" || !slices.Contains(BrokerSchemes, u.Scheme):
		return fmt.Errorf("%w: broker %q is not a URL like tcp://host:1883 (schemes: %s)", ErrConfig, broker, strings.Join(BrokerSchemes, ", "))
	case u.User != nil:
		return fmt.Errorf("%w: broker URL carries credentials; give the user name and the password separately (the password never on the command line)", ErrConfig)
	}
	return nil
}

// CheckPrefix reports a topic prefix that is empty, has a wildcard or an empty level.
func CheckPrefix(prefix string) error {
	switch {
	case prefix == "":
		return fmt.Errorf("%w: empty topic prefix (default metaood)", ErrConfig)
	case strings.ContainsAny(prefix, "+#\x00"):
		return fmt.Errorf("%w: topic prefix %q holds a wildcard (+ or #)", ErrConfig, prefix)
	case strings.HasPrefix(prefix, "/") || strings.HasSuffix(prefix, "/") || strings.Contains(prefix, "//"):
		return fmt.Errorf("%w: topic prefix %q has an empty level; write levels like rigs/car7", ErrConfig, prefix)
	case strings.HasPrefix(prefix, "$"):
		return fmt.Errorf("%w: topic prefix %q starts with $ (reserved for the broker)", ErrConfig, prefix)
	}
	return nil
}

// TopicName is a source id made safe as one topic level: '/', '+', '#' and control characters
// become '_' (e.g. "rtsp://cam/1" → "rtsp:__cam_1").
func TopicName(source string) string {
	if source == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '+' || r == '#' || r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, source)
}

// Sink publishes a run's events. Event never blocks; Close publishes "offline" and disconnects.
type Sink struct {
	cfg   Config
	log   *slog.Logger
	drops *counterdump.Dumper
	pubs  map[string]*publisher // by source id; touched by the pipeline's goroutine only
	names map[string]string     // topic name → source id, to keep two sources apart
	once  sync.Once
}

// New checks cfg and returns the sink; connections open as sources appear (never blocking).
func New(cfg Config) (*Sink, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = "metaood"
	}
	if err := CheckBroker(cfg.Broker); err != nil {
		return nil, err
	}
	if err := CheckPrefix(cfg.Prefix); err != nil {
		return nil, err
	}
	if cfg.Types == nil {
		cfg.Types, _ = event.ParseTypes(DefaultTypes)
	}
	if cfg.ClientID == "" {
		host, _ := os.Hostname()
		cfg.ClientID = "metaood-" + TopicName(host)
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 256
	}
	if cfg.MaxReconnect <= 0 {
		cfg.MaxReconnect = 10 * time.Second
	}
	if cfg.CloseWait <= 0 {
		cfg.CloseWait = 3 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Sink{cfg: cfg, log: cfg.Log.With("stage", "mqtt", "broker", cfg.Broker), pubs: map[string]*publisher{}, names: map[string]string{}}
	s.drops = &counterdump.Dumper{Period: 5 * time.Second, Report: func(delta, total uint64) {
		s.log.Warn("MQTT queue full (broker slow or unreachable): messages dropped", "dropped", delta, "dropped_total", total)
	}}
	return s, nil
}

// Frame implements pipeline.Sink; frames carry nothing of their own.
func (s *Sink) Frame(*pipeline.Result) error { return nil }

// Event implements pipeline.Sink: it queues the event's messages for its source's connection.
func (s *Sink) Event(e event.Event, line []byte) error {
	h := e.Head()
	typed := s.cfg.Types.Has(h.Type)
	var state, payload string
	switch h.Type {
	case event.TypeEmergency:
		typed, state, payload = false, TopicEmergency, "" // the event itself is the retained state
	case event.TypeClear:
		state, payload = TopicEmergency, None
	case event.TypeSource:
		state, payload = TopicAvailable, Online
		if st, ok := e.(*event.SourceState); ok && (st.State == event.StateLost || st.State == event.StateEnded) {
			payload = Offline
		}
	}
	if !typed && state == "" {
		return nil // nothing to say: no connection needed
	}
	p := s.publisher(h.Source)
	if typed {
		s.push(p, message{topic: p.base + "/" + h.Type, payload: slices.Clone(line), qos: qos(h.Type)}, event.Critical(h.Type))
	}
	if state != "" {
		m := message{topic: p.base + "/" + state, payload: []byte(payload), qos: 1, retain: true}
		if payload == "" {
			m.payload = slices.Clone(line)
		}
		s.push(p, m, true)
	}
	return nil
}

// qos is 1 for emergencies and clears, 0 for the rest.
func qos(typ string) byte {
	if event.Critical(typ) {
		return 1
	}
	return 0
}

func (s *Sink) push(p *publisher, m message, critical bool) {
	lost, lostCritical := p.q.Push(m, critical)
	if lost == 0 {
		return
	}
	s.cfg.Counters.Dropped(lost)
	p.dropped.Add(uint64(lost))
	s.drops.Add(uint64(lost))
	if lostCritical {
		s.log.Error("MQTT queue full of emergencies, clears and states: one lost", "topic", m.topic)
	}
}

// publisher returns the source's connection, starting it on first use.
func (s *Sink) publisher(source string) *publisher {
	if p := s.pubs[source]; p != nil {
		return p
	}
	p := startPublisher(s, source, s.uniqueName(source))
	s.pubs[source] = p
	return p
}

// uniqueName is the topic level of a new source: TopicName, with -2, -3, … when another source
// already has that name ("a/b" and "a+b").
func (s *Sink) uniqueName(source string) string {
	name := TopicName(source)
	for n := 2; s.names[name] != "" && s.names[name] != source; n++ {
		name = fmt.Sprintf("%s-%d", TopicName(source), n)
	}
	s.names[name] = source
	return name
}

// Close implements pipeline.Sink: every connection sends what is queued (for up to CloseWait),
// publishes "offline" and disconnects. Messages that did not go out make it return an error, as
// the webhook does, so the run's summary says the broker's record has holes.
func (s *Sink) Close() error {
	var err error
	s.once.Do(func() {
		deadline := time.Now().Add(s.cfg.CloseWait)
		for _, p := range s.pubs {
			p.stop(deadline)
		}
		var sent, failed, dropped uint64
		for _, p := range s.pubs {
			p.wait()
			sent, failed, dropped = sent+p.sent.Load(), failed+p.failed.Load(), dropped+p.dropped.Load()
		}
		s.drops.Flush()
		if failed+dropped > 0 {
			err = fmt.Errorf("%w: mqtt %s: %d of %d messages not delivered (%d not sent in time, %d dropped by a full queue)",
				pipeline.ErrSink, s.cfg.Broker, failed+dropped, sent+failed+dropped, failed, dropped)
		}
	})
	return err
}
