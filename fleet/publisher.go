package fleet

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/pipeline"
)

// PublisherOptions configure a Publisher.
type PublisherOptions struct {
	// Key is the job id (replay) or the vehicle id (live): the subject's third token.
	Key string
	// Live marks a live run: the pipeline must never wait on NATS, so events that find the
	// queue full are dropped and counted, and ids carry the run's start so that a restarted run
	// does not collide with the previous one's ids. A replay (Live false) waits instead: a
	// job's events are one of its outputs.
	Live bool
	// Stats also publishes the once-a-second stats events (off for jobs: their progress is in
	// the status bucket, and stats are not the same in a redo).
	Stats bool
	// CloseWait bounds how long Close waits for every event to be stored (0: 2 minutes for a
	// replay, 5 s live).
	CloseWait time.Duration
	Log       *slog.Logger
}

// Publisher is a pipeline.Sink that publishes every event, as the same JSON line the events file
// holds, to metaood.events.<key>.<source>.<type> with a Nats-Msg-Id that is the same when a
// replay is redone, so the events stream's duplicate window drops the redo's copies.
// Publishing is asynchronous; a failed publish is retried with the same id until Close's wait
// ends.
type Publisher struct {
	js       jetstream.JetStream
	o        PublisherOptions
	idPrefix string
	log      *slog.Logger
	queue    chan *nats.Msg
	done     chan struct{}
	closing  chan struct{}
	last     map[string]frameSeq // source.type → the frame of its last event and how many it had
	closed   bool
	giveUpAt atomic.Int64  // unix nanoseconds after which Close gives up; 0 = not closing
	failed   atomic.Uint64 // never stored (Close gave up)

	published, duplicates, dropped, retried atomic.Uint64
	metric                                  *prometheus.CounterVec
}

type frameSeq struct {
	frame uint64
	n     int
}

// publisherQueue is how many events wait for the publishing goroutine; maxInflight how many
// publishes wait for their acknowledgement.
const (
	publisherQueue = 1024
	maxInflight    = 512
)

// NewPublisher starts a publisher for js. Close it (the pipeline does) to wait for the
// acknowledgements and stop its goroutine.
func NewPublisher(js jetstream.JetStream, o PublisherOptions) (*Publisher, error) {
	what := "job id"
	if o.Live {
		what = "vehicle id"
	}
	if err := CheckID(what, o.Key); err != nil {
		return nil, err
	}
	if o.CloseWait == 0 {
		o.CloseWait = 2 * time.Minute
		if o.Live {
			o.CloseWait = 5 * time.Second
		}
	}
	p := &Publisher{js: js, o: o, idPrefix: o.Key, log: o.Log, queue: make(chan *nats.Msg, publisherQueue),
		done: make(chan struct{}), closing: make(chan struct{}), last: map[string]frameSeq{},
		metric: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "metaood_fleet_events_total",
			Help: "Events for the NATS events stream by result: published, duplicate (dropped by the stream's duplicate window), dropped (live queue full), retried, failed."},
			[]string{"result"})}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if o.Live {
		p.idPrefix = o.Key + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	go p.loop()
	return p, nil
}

var _ pipeline.Sink = (*Publisher)(nil)

// Subject is where an event of key goes.
func Subject(key, source, typ string) string {
	return EventsPrefix + "." + key + "." + token(source) + "." + token(typ)
}

// token makes s one subject token: '.', '*', '>' and white space (and anything else outside
// letters, digits, '-' and '_') become '_'.
func token(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}

// Frame implements pipeline.Sink (events only).
func (p *Publisher) Frame(*pipeline.Result) error { return nil }

// Event implements pipeline.Sink: it queues the event for publishing. A replay waits when the
// queue is full; a live run drops the event and counts it.
func (p *Publisher) Event(e event.Event, line []byte) error {
	h := e.Head()
	if h.Type == event.TypeStats && !p.o.Stats {
		return nil
	}
	src, typ := token(h.Source), token(h.Type)
	// The id is the event's own (event.IDs: the same in every run of a replay, run-unique for a
	// live source), scoped by the key: two jobs may replay sources of the same name. An event
	// without one (not stamped by a pipeline) gets one from its source, type, frame and rank.
	id := p.o.Key + "." + h.ID
	if h.ID == "" {
		k := src + "." + typ
		fs := p.last[k]
		if fs.frame != h.Frame || fs.n == 0 {
			fs = frameSeq{frame: h.Frame}
		}
		id = p.idPrefix + "." + k + "." + strconv.FormatUint(h.Frame, 10) + "." + strconv.Itoa(fs.n)
		fs.n++
		p.last[k] = fs
	}

	m := nats.NewMsg(EventsPrefix + "." + p.o.Key + "." + src + "." + typ)
	m.Data = append([]byte(nil), line...)
	m.Header.Set(jetstream.MsgIDHeader, id)
	if !p.o.Live {
		p.queue <- m
		return nil
	}
	select {
	case p.queue <- m:
	default:
		p.dropped.Add(1)
		p.metric.WithLabelValues("dropped").Inc()
	}
	return nil
}

// Close waits until every queued event is stored (or CloseWait has passed) and stops. It
// returns an error wrapping ErrEvents when events were dropped (live) or could not be stored.
func (p *Publisher) Close() error {
	if !p.closed {
		p.closed = true
		p.giveUpAt.Store(time.Now().Add(p.o.CloseWait).UnixNano())
		close(p.closing) // wakes a send that waits to retry
		close(p.queue)
	}
	<-p.done
	var errs []error
	if n := p.failed.Load(); n > 0 {
		errs = append(errs, fmt.Errorf("%w: %d events not stored by the events stream within %v", ErrEvents, n, p.o.CloseWait))
	}
	if n := p.dropped.Load(); n > 0 {
		errs = append(errs, fmt.Errorf("%w: %d events dropped while NATS was slow or away", ErrEvents, n))
	}
	return errors.Join(errs...)
}

// Counts is what the publisher did: stored, dropped as duplicates by the stream, dropped because
// the live queue was full, retried, never stored.
type Counts struct{ Published, Duplicates, Dropped, Retried, Failed uint64 }

// Counts returns the counts so far.
func (p *Publisher) Counts() Counts {
	return Counts{p.published.Load(), p.duplicates.Load(), p.dropped.Load(), p.retried.Load(), p.failed.Load()}
}

// Describe implements prometheus.Collector.
func (p *Publisher) Describe(ch chan<- *prometheus.Desc) { p.metric.Describe(ch) }

// Collect implements prometheus.Collector.
func (p *Publisher) Collect(ch chan<- prometheus.Metric) { p.metric.Collect(ch) }

type inflight struct {
	msg   *nats.Msg
	fut   jetstream.PubAckFuture
	tries int
}

// loop publishes what Event queues and checks the acknowledgements in order; a publish that
// fails or times out is sent again (same id) after a short pause, until Close's wait ends.
func (p *Publisher) loop() {
	defer close(p.done)
	var fl []inflight
	var deadline <-chan time.Time
	queue, closing := p.queue, p.closing
	for queue != nil || len(fl) > 0 {
		var okc <-chan *jetstream.PubAck
		var errc <-chan error
		if len(fl) > 0 {
			okc, errc = fl[0].fut.Ok(), fl[0].fut.Err()
		}
		in := queue
		if len(fl) >= maxInflight {
			in = nil
		}
		select {
		case <-closing: // Close's wait starts, also while in-flight publishes hold the queue
			closing = nil
			deadline = time.After(time.Until(time.Unix(0, p.giveUpAt.Load())))
		case m, ok := <-in:
			if !ok {
				queue = nil
				continue
			}
			if f, ok := p.send(m); ok {
				fl = append(fl, inflight{msg: m, fut: f, tries: 1})
			}
		case ack := <-okc:
			fl = fl[1:]
			if ack.Duplicate {
				p.duplicates.Add(1)
				p.metric.WithLabelValues("duplicate").Inc()
			} else {
				p.published.Add(1)
				p.metric.WithLabelValues("published").Inc()
			}
		case err := <-errc:
			// Timed out or refused: send it again at once (the same id, so a copy that did
			// reach the stream is dropped as a duplicate). A server that is away makes each try
			// wait for the publish timeout, so this does not spin.
			f := fl[0]
			fl = fl[1:]
			if p.pastDeadline() {
				p.giveUp(1)
				continue
			}
			p.retried.Add(1)
			p.metric.WithLabelValues("retried").Inc()
			if f.tries == 1 || f.tries%20 == 0 {
				p.log.Warn("event not stored by NATS; retrying", "subject", f.msg.Subject, "tries", f.tries, "err", err)
			}
			if fut, ok := p.send(f.msg); ok {
				fl = append(fl, inflight{msg: f.msg, fut: fut, tries: f.tries + 1})
			}
		case <-deadline:
			p.giveUp(uint64(len(fl)))
			for range p.queue { // closed by Close: what is still queued is given up too
				p.giveUp(1)
			}
			return
		}
	}
}

// send publishes m, retrying a refused publish (not connected, too many pending) until Close's
// wait has passed; false: given up.
func (p *Publisher) send(m *nats.Msg) (jetstream.PubAckFuture, bool) {
	wait := 50 * time.Millisecond
	for {
		f, err := p.js.PublishMsgAsync(m)
		if err == nil {
			return f, true
		}
		if p.pastDeadline() {
			p.giveUp(1)
			return nil, false
		}
		p.log.Debug("event publish refused; retrying", "subject", m.Subject, "err", err)
		select {
		case <-time.After(wait):
		case <-p.closing:
			time.Sleep(min(wait, 50*time.Millisecond))
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// pastDeadline reports whether Close's wait is over.
func (p *Publisher) pastDeadline() bool {
	at := p.giveUpAt.Load()
	return at != 0 && time.Now().UnixNano() > at
}

func (p *Publisher) giveUp(n uint64) {
	if n == 0 {
		return
	}
	p.failed.Add(n)
	p.metric.WithLabelValues("failed").Add(float64(n))
}
