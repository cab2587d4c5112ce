package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The JetStream names the fleet uses. Every command creates what is missing, with the settings
// below, and leaves what exists alone (an operator may have tuned it).
const (
	JobsStream     = "METAOOD_JOBS"    // work queue: each job is delivered to one worker at a time
	JobsSubject    = "metaood.jobs"    // the subject jobs are published on
	ConsumerName   = "metaood-workers" // the durable pull consumer all workers share
	EventsStream   = "METAOOD_EVENTS"  // every event of every job and vehicle
	EventsPrefix   = "metaood.events"  // events go to metaood.events.<job-or-vehicle>.<source>.<type>
	StatusBucket   = "metaood-jobs"    // key-value: job id → Status
	DefaultBucket  = "metaood-outputs" // object store for job outputs
	DefaultNATSURL = nats.DefaultURL
)

// Setup is how the streams and the consumer are made when they do not exist yet.
type Setup struct {
	// AckWait is how long a job's delivery waits for a sign of life (an in-progress ack) before
	// it is redelivered to another worker.
	AckWait time.Duration
	// MaxDeliver is how many times a job is delivered before it is given up as failed.
	MaxDeliver int
	// Dedupe is the events stream's duplicate window: a redone job's events published within it
	// are dropped as duplicates (by Nats-Msg-Id). It should cover the longest job times MaxDeliver.
	Dedupe time.Duration
	// EventsMaxAge is how long events are kept (0 = forever).
	EventsMaxAge time.Duration
	// Replicas of every stream and bucket (1 on one server; 3 on a cluster).
	Replicas int
}

// DefaultSetup is what the commands use unless told otherwise.
func DefaultSetup() Setup {
	return Setup{AckWait: 30 * time.Second, MaxDeliver: 3, Dedupe: 2 * time.Hour, EventsMaxAge: 7 * 24 * time.Hour, Replicas: 1}
}

// Connect dials url and keeps reconnecting for ever (a worker outlives server restarts); the
// connection's name shows in the server's monitoring.
func Connect(url, name string, log *slog.Logger) (*nats.Conn, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	nc, err := nats.Connect(url, nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(500*time.Millisecond),
		nats.RetryOnFailedConnect(false), nats.Timeout(5*time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected; reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", "server", c.ConnectedUrlRedacted()) }))
	if err != nil {
		return nil, fmt.Errorf("%w: connect to %s: %v (is nats-server running, with JetStream on?)", ErrNATS, redactURL(url), err)
	}
	return nc, nil
}

// NewJetStream is the JetStream context the fleet uses: asynchronous publishes time out (and
// are retried by the publisher) instead of waiting for ever on a server that went away.
func NewJetStream(nc *nats.Conn) (jetstream.JetStream, error) {
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096), jetstream.WithPublishAsyncTimeout(10*time.Second))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNATS, err)
	}
	return js, nil
}

// Fleet is the JetStream handles every command needs.
type Fleet struct {
	JS       jetstream.JetStream
	Jobs     jetstream.Stream
	Consumer jetstream.Consumer
	Status   jetstream.KeyValue
	Setup    Setup
}

// Ensure finds the streams, the consumer and the status bucket, creating what is missing with s.
// An existing jobs stream that is not a work queue is an error (jobs would run twice).
func Ensure(ctx context.Context, js jetstream.JetStream, s Setup) (*Fleet, error) {
	if s.Replicas < 1 {
		s.Replicas = 1
	}
	f := &Fleet{JS: js, Setup: s}
	var err error
	f.Jobs, err = ensureStream(ctx, js, jetstream.StreamConfig{Name: JobsStream, Subjects: []string{JobsSubject},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage, Replicas: s.Replicas, Duplicates: 10 * time.Minute,
		Description: "metaood replay jobs (work queue)"})
	if err != nil {
		return nil, err
	}
	if f.Jobs.CachedInfo().Config.Retention != jetstream.WorkQueuePolicy {
		return nil, fmt.Errorf("%w: stream %s exists but is not a work queue (retention %s); delete it or fix it", ErrNATS, JobsStream,
			f.Jobs.CachedInfo().Config.Retention)
	}
	if err := EnsureEvents(ctx, js, s); err != nil {
		return nil, err
	}
	f.Consumer, err = f.Jobs.Consumer(ctx, ConsumerName)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		f.Consumer, err = f.Jobs.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: ConsumerName, AckPolicy: jetstream.AckExplicitPolicy,
			AckWait: s.AckWait, MaxDeliver: s.MaxDeliver, MaxAckPending: -1, Description: "metaood workers"})
	}
	if err != nil {
		return nil, fmt.Errorf("%w: consumer %s: %v", ErrNATS, ConsumerName, err)
	}
	cc := f.Consumer.CachedInfo().Config
	f.Setup.AckWait, f.Setup.MaxDeliver = cc.AckWait, cc.MaxDeliver // the consumer's are the ones in force
	f.Status, err = js.KeyValue(ctx, StatusBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		f.Status, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: StatusBucket, Replicas: s.Replicas,
			Description: "metaood job status", Storage: jetstream.FileStorage})
	}
	if err != nil {
		return nil, fmt.Errorf("%w: status bucket %s: %v", ErrNATS, StatusBucket, err)
	}
	return f, nil
}

// EnsureEvents creates the events stream when it does not exist.
func EnsureEvents(ctx context.Context, js jetstream.JetStream, s Setup) error {
	_, err := ensureStream(ctx, js, jetstream.StreamConfig{Name: EventsStream, Subjects: []string{EventsPrefix + ".>"},
		Retention: jetstream.LimitsPolicy, Storage: jetstream.FileStorage, Replicas: max(s.Replicas, 1), Duplicates: s.Dedupe,
		MaxAge: s.EventsMaxAge, Description: "metaood events of every job and vehicle"})
	return err
}

// ensureStream returns the stream cfg names, creating it when it does not exist.
func ensureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	st, err := js.Stream(ctx, cfg.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = js.CreateStream(ctx, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: stream %s: %v", ErrNATS, cfg.Name, err)
	}
	return st, nil
}

// ObjectStore returns the object store bucket name, creating it when missing.
func ObjectStore(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (jetstream.ObjectStore, error) {
	obs, err := js.ObjectStore(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		obs, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: bucket, Replicas: max(replicas, 1),
			Storage: jetstream.FileStorage, Description: "metaood job outputs"})
	}
	if err != nil {
		return nil, fmt.Errorf("%w: object store %s: %v", ErrNATS, bucket, err)
	}
	return obs, nil
}

// redactURL hides a password in a nats:// URL for messages.
func redactURL(u string) string {
	if at := strings.LastIndex(u, "@"); at > 0 {
		if i := strings.Index(u, "://"); i >= 0 && i < at {
			return u[:i+3] + "***" + u[at:]
		}
	}
	return u
}
