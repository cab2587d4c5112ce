package fleet

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
)

// LiveSink publishes a live run's events (`metaood run --nats URL --vehicle ID`) to the fleet's
// events stream, on metaood.events.<vehicle>.<source>.<type>, so that one consumer sees every
// vehicle. It never holds the pipeline: with NATS slow or away, events beyond its queue are
// dropped and counted (metaood_fleet_events_total{result="dropped"}); the client buffers what
// it can while it reconnects.
type LiveSink struct {
	*Publisher
	nc *nats.Conn
}

// OpenLive connects to url (in the background when the server is not up yet: the run starts
// anyway) and makes sure the events stream exists when the server answers within a few seconds.
func OpenLive(ctx context.Context, url, vehicle string, log *slog.Logger) (*LiveSink, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := CheckID("vehicle id", vehicle); err != nil {
		return nil, err
	}
	nc, err := nats.Connect(url, nats.Name("metaood run "+vehicle), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.RetryOnFailedConnect(true), nats.ReconnectBufSize(16<<20),
		nats.ConnectHandler(func(*nats.Conn) { log.Info("nats connected", "url", redactURL(url)) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected; events are buffered, then dropped and counted", "err", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("nats reconnected", "url", redactURL(url)) }))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNATS, redactURL(url), err)
	}
	js, err := NewJetStream(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	ectx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := EnsureEvents(ectx, js, DefaultSetup()); err != nil {
		log.Warn("events stream not checked (NATS not reachable yet?); publishing anyway", "err", err)
	}
	p, err := NewPublisher(js, PublisherOptions{Key: vehicle, Live: true, Stats: true, Log: log})
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &LiveSink{Publisher: p, nc: nc}, nil
}

// Close waits briefly for the queued events, then closes the connection.
func (l *LiveSink) Close() error {
	err := l.Publisher.Close()
	l.nc.Close()
	return err
}
