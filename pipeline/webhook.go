package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/internal/counterdump"
	"github.com/metaood/metaood/internal/sinkqueue"
)

// WebhookSink POSTs each event (application/json) to a URL from its own goroutine, in order,
// retrying every event with backoff while the receiver is down or failing. Its queue is
// bounded: when the receiver is slow or down for long, routine events are dropped and counted
// (an emergency or clear takes the place of the oldest routine event), the pipeline never waits.
type WebhookSink struct {
	url      string
	client   *http.Client
	log      *slog.Logger
	q        *sinkqueue.Queue[[]byte]
	wg       sync.WaitGroup
	ctx      context.Context
	cancel   context.CancelFunc
	counters SinkCounters
	drops    *counterdump.Dumper
	Dropped  atomic.Uint64 // events dropped because the queue was full
	Failed   atomic.Uint64 // events given up on (refused for good, or abandoned at Close)
	Sent     atomic.Uint64 // POSTs answered 2xx
	lastErr  atomic.Pointer[string]
}

// WebhookOption sets an optional part of a WebhookSink.
type WebhookOption func(*WebhookSink)

// WithCounters exports the sink's sent/failed/dropped counts (Metrics.SinkCounters("webhook")).
func WithCounters(c SinkCounters) WebhookOption { return func(w *WebhookSink) { w.counters = c } }

// NewWebhookSink starts the sender. queue is the bound (default 64); timeout is per POST (default 2 s).
func NewWebhookSink(url string, queue int, timeout time.Duration, log *slog.Logger, opts ...WebhookOption) *WebhookSink {
	if queue <= 0 {
		queue = 64
	}
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &WebhookSink{url: url, client: &http.Client{Timeout: timeout}, log: log.With("stage", "webhook"), q: sinkqueue.New[[]byte](queue)}
	for _, o := range opts {
		o(w)
	}
	w.drops = &counterdump.Dumper{Period: 5 * time.Second, Report: func(delta, total uint64) {
		w.log.Warn("webhook queue full (receiver slow or down): events dropped", "url", w.url, "dropped", delta, "dropped_total", total)
	}}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	w.wg.Go(w.loop)
	return w
}

func (w *WebhookSink) loop() {
	var lastErr error
	warn := counterdump.Dumper{Period: 5 * time.Second, Report: func(delta, total uint64) {
		w.log.Warn("webhook POST failed; retrying with backoff", "url", w.url, "err", lastErr, "failed_attempts", delta, "failed_attempts_total", total)
	}}
	defer warn.Flush()
	for {
		body, _, ok := w.q.Pop(context.Background())
		if !ok {
			return
		}
		err := w.deliver(body, func(err error) { lastErr = err; warn.Add(1) })
		if err != nil {
			w.Failed.Add(1)
			w.counters.Failed(1)
			continue
		}
		w.Sent.Add(1)
		w.counters.Sent(1)
	}
}

// Retry timing: a receiver that restarts (a few seconds down) loses nothing; the queue bounds
// what waits meanwhile.
const (
	retryFirst = 100 * time.Millisecond
	retryMax   = 2 * time.Second
)

// deliver POSTs body until the receiver takes it, refuses it for good (4xx other than 408 and
// 429: the payload will not improve), or the sink is closing and its drain time is over.
func (w *WebhookSink) deliver(body []byte, failed func(error)) error {
	wait := retryFirst
	for {
		err := w.post(body)
		if err == nil {
			return nil
		}
		if w.ctx.Err() == nil { // a receiver's error, not our own cancellation
			msg := err.Error()
			w.lastErr.Store(&msg)
			failed(err)
		}
		var se statusError
		if errors.As(err, &se) && se.code/100 == 4 && se.code != http.StatusRequestTimeout && se.code != http.StatusTooManyRequests {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-w.ctx.Done():
			t.Stop()
			return err
		}
		wait = min(2*wait, retryMax)
	}
}

// statusError is a non-2xx answer.
type statusError struct {
	code   int
	status string
}

func (e statusError) Error() string { return "status " + e.status }

func (w *WebhookSink) post(body []byte) error {
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // read it: the connection can then be reused
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return statusError{resp.StatusCode, resp.Status}
	}
	return nil
}

// Frame implements Sink.
func (w *WebhookSink) Frame(*Result) error { return nil }

// Event implements Sink: it queues the line; when the queue is full a routine event is dropped,
// an emergency or clear takes the place of the oldest routine one.
func (w *WebhookSink) Event(e event.Event, line []byte) error {
	lost, lostCritical := w.q.Push(append([]byte(nil), line...), e != nil && event.Critical(e.Head().Type))
	if lost > 0 {
		w.Dropped.Add(uint64(lost))
		w.counters.Dropped(lost)
		w.drops.Add(uint64(lost))
		if lostCritical {
			w.log.Error("webhook queue full of emergencies and clears: one lost", "url", w.url, "type", e.Head().Type, "source", e.Head().Source)
		}
	}
	return nil
}

// closeWait is how long Close lets queued events go out before abandoning them.
const closeWait = 3 * time.Second

// Close stops accepting events and sends the queued ones for up to 3 s; the rest are abandoned.
// Events that did not reach the receiver make it return an error (the run's summary lists it),
// so a rig that logs elsewhere learns that its log has holes.
func (w *WebhookSink) Close() error {
	w.q.Close()
	t := time.AfterFunc(closeWait, w.cancel)
	w.wg.Wait()
	w.drops.Flush()
	t.Stop()
	w.cancel()
	failed, dropped := w.Failed.Load(), w.Dropped.Load()
	if failed+dropped == 0 {
		return nil
	}
	last := ""
	if e := w.lastErr.Load(); e != nil {
		last = "; last error: " + *e
	}
	return fmt.Errorf("%w: webhook %s: %d of %d events not delivered (%d failed, %d dropped by a full queue)%s",
		ErrSink, w.url, failed+dropped, failed+dropped+w.Sent.Load(), failed, dropped, last)
}
