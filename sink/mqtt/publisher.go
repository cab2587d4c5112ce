package mqtt

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/internal/sinkqueue"
	"github.com/metaood/metaood/pipeline"
)

// message is one PUBLISH. resync asks the sender to publish the retained states again.
type message struct {
	topic   string
	payload []byte
	qos     byte
	retain  bool
	resync  bool
}

// publisher is one source's connection and its sender goroutine.
type publisher struct {
	base     string // <prefix>/<topic name>
	client   paho.Client
	q        *sinkqueue.Queue[message]
	wake     chan struct{} // a token when the connection comes up
	log      *slog.Logger
	counters pipeline.SinkCounters
	ctx      context.Context // cancelled when Close's time is up
	cancel   context.CancelFunc
	done     chan struct{}
	deadline *time.Timer // Close's time

	// retained holds the last value sent (or being sent) to each retained topic, in the order
	// they were first set: republished after every (re)connect. Owned by the sender goroutine.
	retained []message

	sent, failed, dropped atomic.Uint64
	connectedOnce         atomic.Bool
	losses                atomic.Uint64 // connections lost so far
	lost                  chan struct{} // a token when a connection is lost
}

// resyncMsg is queued on every (re)connect.
var resyncMsg = message{resync: true}

func startPublisher(s *Sink, source, name string) *publisher {
	cfg := s.cfg
	p := &publisher{base: cfg.Prefix + "/" + name, q: sinkqueue.New[message](cfg.Queue), wake: make(chan struct{}, 1),
		lost: make(chan struct{}, 1), log: s.log.With("source", source), counters: cfg.Counters, done: make(chan struct{})}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.retained = []message{{topic: p.base + "/" + TopicAvailable, payload: []byte(Online), qos: 1, retain: true}}
	if source != event.SourceAll { // a new run has no active emergency: a stale state of a run that died is overwritten
		p.retained = append(p.retained, message{topic: p.base + "/" + TopicEmergency, payload: []byte(None), qos: 1, retain: true})
	}
	o := paho.NewClientOptions().AddBroker(brokerWithPort(cfg.Broker)).
		SetClientID(cfg.ClientID+"-"+name).
		SetUsername(cfg.Username).SetPassword(cfg.Password).
		SetCleanSession(true).SetStore(nullStore{}). // the sender redelivers itself (see send)
		SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).SetMaxReconnectInterval(cfg.MaxReconnect).
		SetConnectTimeout(5*time.Second).SetWriteTimeout(5*time.Second).
		SetKeepAlive(15*time.Second).SetPingTimeout(5*time.Second).
		SetBinaryWill(p.base+"/"+TopicAvailable, []byte(Offline), 1, true).
		SetOnConnectHandler(func(paho.Client) {
			if p.connectedOnce.Swap(true) {
				p.log.Info("MQTT reconnected")
			}
			p.q.Push(resyncMsg, true) // the broker may have forgotten the retained states
			select {
			case p.wake <- struct{}{}:
			default:
			}
		}).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			p.losses.Add(1)
			select {
			case p.lost <- struct{}{}:
			default:
			}
			p.log.Warn("MQTT connection lost; reconnecting with backoff", "err", err)
		})
	if cfg.openConn != nil {
		o.SetCustomOpenConnectionFn(cfg.openConn)
	}
	p.client = paho.NewClient(o)
	p.client.Connect() // returns at once: ConnectRetry keeps trying in the background
	go p.run()
	return p
}

// brokerWithPort adds MQTT's default port when the URL has none (paho dials host:port).
func brokerWithPort(broker string) string {
	u, err := url.Parse(broker)
	if err != nil || u.Port() != "" || strings.HasPrefix(u.Scheme, "ws") {
		return broker
	}
	port := "1883"
	switch u.Scheme {
	case "ssl", "tls", "mqtts":
		port = "8883"
	}
	u.Host += ":" + port
	return u.String()
}

// run sends the queued messages in order until the queue is closed and empty (or Close's time
// is up), then publishes "offline" and disconnects.
func (p *publisher) run() {
	defer close(p.done)
	for {
		m, _, ok := p.q.Pop(p.ctx)
		if !ok {
			break
		}
		if m.resync {
			for _, r := range p.retained {
				p.send(r) // not counted: states, not events
			}
			continue
		}
		if m.retain {
			p.remember(m)
		}
		if p.send(m) {
			p.sent.Add(1)
			p.counters.Sent(1)
		} else {
			p.failed.Add(1)
			p.counters.Failed(1)
		}
	}
	for p.q.Len() > 0 { // abandoned at Close
		if m, _, ok := p.q.Pop(context.Background()); ok && !m.resync {
			p.failed.Add(1)
			p.counters.Failed(1)
		}
	}
	if p.client.IsConnectionOpen() {
		off := p.client.Publish(p.base+"/"+TopicAvailable, 1, true, []byte(Offline))
		off.WaitTimeout(time.Second)
	}
	p.client.Disconnect(250)
}

// remember records m as the retained value of its topic.
func (p *publisher) remember(m message) {
	for i := range p.retained {
		if p.retained[i].topic == m.topic {
			p.retained[i] = m
			return
		}
	}
	p.retained = append(p.retained, m)
}

// send publishes m once the connection is up, again after a failure or a connection lost before
// the broker acknowledged it, until the broker took it (PUBACK for QoS 1, written for QoS 0) or
// Close's time is up. A QoS 1 message may so arrive twice (at least once: consumers dedupe by
// the event id). paho's own store is off: its redelivery after a reconnect races with new
// publishes (the race detector shows it in paho 1.5.1), ours waits for the reconnect.
func (p *publisher) send(m message) bool {
	for {
		for !p.client.IsConnectionOpen() {
			t := time.NewTimer(200 * time.Millisecond)
			select {
			case <-p.wake:
			case <-t.C:
			case <-p.ctx.Done():
				t.Stop()
				return false
			}
			t.Stop()
		}
		losses := p.losses.Load()
		tok := p.client.Publish(m.topic, m.qos, m.retain, m.payload)
		var err error
	wait:
		select {
		case <-tok.Done():
			err = tok.Error()
		case <-p.lost:
			if p.losses.Load() == losses {
				goto wait // a token left from an earlier loss
			}
			err = errConnectionLost
		case <-p.ctx.Done():
			return false
		}
		if err == nil {
			return true
		}
		p.log.Debug("MQTT publish failed; retrying", "topic", m.topic, "err", err)
		select {
		case <-time.After(200 * time.Millisecond):
		case <-p.ctx.Done():
			return false
		}
	}
}

// stop closes the queue and gives the sender until deadline.
func (p *publisher) stop(deadline time.Time) {
	p.q.Close()
	p.deadline = time.AfterFunc(time.Until(deadline), p.cancel)
}

// wait returns once the sender has disconnected.
func (p *publisher) wait() {
	<-p.done
	p.deadline.Stop()
	p.cancel()
}

var errConnectionLost = errors.New("connection lost before the broker acknowledged")

// nullStore is a paho.Store that keeps nothing: the publisher redelivers what a lost connection
// left unacknowledged.
type nullStore struct{}

func (nullStore) Open()                             {}
func (nullStore) Put(string, packets.ControlPacket) {}
func (nullStore) Get(string) packets.ControlPacket  { return nil }
func (nullStore) All() []string                     { return nil }
func (nullStore) Del(string)                        {}
func (nullStore) Close()                            {}
func (nullStore) Reset()                            {}
