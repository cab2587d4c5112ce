package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/metaood/metaood/capture"
	"github.com/metaood/metaood/config"
	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/infer"
	"github.com/metaood/metaood/internal/app"
	"github.com/metaood/metaood/metaclf"
	"github.com/metaood/metaood/pipeline"
)

// RunFunc runs one configured pipeline: internal/app.Run.
type RunFunc func(ctx context.Context, c config.Run, o app.Options) (pipeline.Summary, app.Outputs, error)

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	// ID names the worker in the job status (default: host name and process id).
	ID      string
	Machine Machine
	Log     *slog.Logger
	// Run runs a job's pipeline (default app.Run).
	Run RunFunc
	// Heartbeat is how often a running job sends an in-progress ack and its progress (default:
	// a third of the ack wait).
	Heartbeat time.Duration
	// RetryDelay is the pause before a failed try is delivered again, times the delivery count
	// (default 2 s).
	RetryDelay time.Duration
	// MaxJobs stops the worker after this many jobs (0 = no limit).
	MaxJobs int
	// IdleExit stops the worker when no job came for this long (0 = never).
	IdleExit time.Duration
}

// Worker pulls jobs one at a time and runs them.
type Worker struct {
	f   *Fleet
	nc  *nats.Conn
	o   WorkerOptions
	log *slog.Logger

	mu      sync.Mutex
	buckets map[string]jetstream.ObjectStore
	done    int
}

// NewWorker makes a worker on f's consumer; nc is the connection f was made on (for the
// max-deliveries advisories).
func NewWorker(f *Fleet, nc *nats.Conn, o WorkerOptions) *Worker {
	if o.ID == "" {
		host, _ := os.Hostname()
		o.ID = token(host) + "-" + strconv.Itoa(os.Getpid())
	}
	if o.Run == nil {
		o.Run = app.Run
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = max(f.Setup.AckWait/3, 100*time.Millisecond)
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = 2 * time.Second
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Worker{f: f, nc: nc, o: o, log: log.With("worker", o.ID), buckets: map[string]jetstream.ObjectStore{}}
}

// ID is the worker's id.
func (w *Worker) ID() string { return w.o.ID }

// Run pulls and runs jobs until ctx ends (a job running then is handed back to the queue at
// once), MaxJobs are done, or the queue stayed empty for IdleExit. Lost connections are
// retried for ever.
func (w *Worker) Run(ctx context.Context) error {
	adv := fmt.Sprintf("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.%s.%s", JobsStream, ConsumerName)
	sub, err := w.nc.QueueSubscribe(adv, ConsumerName, func(m *nats.Msg) { w.maxDelivered(ctx, m.Data) })
	if err != nil {
		return fmt.Errorf("%w: subscribe to %s: %v", ErrNATS, adv, err)
	}
	defer sub.Unsubscribe()
	w.log.Info("worker waiting for jobs", "stream", JobsStream, "ack_wait", w.f.Setup.AckWait, "max_deliver", w.f.Setup.MaxDeliver)
	idleSince := time.Now()
	for ctx.Err() == nil {
		if w.o.MaxJobs > 0 && w.done >= w.o.MaxJobs {
			return nil
		}
		if w.o.IdleExit > 0 && time.Since(idleSince) > w.o.IdleExit {
			w.log.Info("no job for a while; stopping", "idle", w.o.IdleExit)
			return nil
		}
		msg, err := w.f.Consumer.Next(jetstream.FetchMaxWait(2 * time.Second))
		if err != nil {
			if !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
				w.log.Debug("fetch", "err", err)
				sleepCtx(ctx, 500*time.Millisecond) // not connected: the client reconnects meanwhile
			}
			continue
		}
		w.handle(ctx, msg)
		w.done++
		idleSince = time.Now()
	}
	return nil
}

// handle runs one delivery of a job and acknowledges it: Ack once its outputs are stored, Term
// when it can never succeed or this was its last delivery, Nak (with a delay) to try again.
func (w *Worker) handle(ctx context.Context, msg jetstream.Msg) {
	md, err := msg.Metadata()
	if err != nil {
		w.log.Error("job message without metadata; dropping it", "err", err)
		msg.Term()
		return
	}
	try := tryOf{seq: md.Sequence.Stream, delivery: md.NumDelivered}
	job, err := ParseJob(msg.Data())
	if err != nil {
		w.log.Error("unreadable job; it fails now", "seq", try.seq, "err", err)
		if CheckID("job id", job.ID) == nil {
			w.setStatus(ctx, job, try, func(s *Status) { s.State, s.Reason = Failed, err.Error() })
		}
		w.term(ctx, msg, try.seq, "bad job")
		return
	}
	log := w.log.With("job", job.ID, "delivery", try.delivery)
	prev, _, _ := GetStatus(ctx, w.f.Status, job.ID)
	if prev.State == Done && prev.Seq == try.seq && prev.Deliveries < try.delivery {
		// An earlier try stored everything and was marked done, but its ack was lost.
		log.Info("job already done by an earlier try; acknowledging it")
		ackSync(ctx, msg)
		return
	}
	if !w.setStatus(ctx, job, try, func(s *Status) {
		s.State, s.Worker, s.Frames, s.FPS, s.Events, s.TotalFrames = Running, w.o.ID, 0, 0, 0, 0
		s.Started = time.Now().UTC()
	}) {
		log.Warn("a later delivery of this job owns it; leaving it")
		return
	}
	log.Info("job started", "source", job.Source)
	err = w.runJob(ctx, job, msg, try, log)
	switch {
	case err == nil:
		return
	case errors.Is(err, errStale):
		log.Warn("a later delivery of this job owns it; this try leaves it alone")
	case ctx.Err() != nil:
		// The worker is stopping: hand the job back at once.
		w.setStatus(context.WithoutCancel(ctx), job, try, func(s *Status) { s.State, s.Reason = Queued, "worker "+w.o.ID+" stopped" })
		msg.Nak()
		log.Info("worker stopping; job handed back to the queue")
	case permanent(err) || w.lastDelivery(try.delivery):
		w.setStatus(ctx, job, try, func(s *Status) { s.State, s.Reason = Failed, err.Error() })
		w.term(ctx, msg, try.seq, err.Error())
		log.Error("job failed", "err", err, "retries_left", 0)
	default:
		delay := w.o.RetryDelay * time.Duration(try.delivery)
		w.setStatus(ctx, job, try, func(s *Status) {
			s.State, s.Reason = Queued, fmt.Sprintf("try %d failed: %v", try.delivery, err)
		})
		msg.NakWithDelay(delay)
		log.Warn("job try failed; it will be delivered again", "err", err, "after", delay)
	}
}

// term ends a job's deliveries and removes it from the queue (a work queue keeps a
// terminated message on servers before 2.10).
func (w *Worker) term(ctx context.Context, msg jetstream.Msg, seq uint64, reason string) {
	msg.TermWithReason(truncate(reason, 200))
	w.f.Jobs.DeleteMsg(context.WithoutCancel(ctx), seq) // already gone on newer servers
}

// tryOf identifies one delivery: the job message's stream sequence (one per submission) and its
// delivery count.
type tryOf struct{ seq, delivery uint64 }

// lastDelivery reports whether delivery n is the last the consumer makes.
func (w *Worker) lastDelivery(n uint64) bool {
	return w.f.Setup.MaxDeliver > 0 && n >= uint64(w.f.Setup.MaxDeliver)
}

// runJob runs the job and stores its outputs; nil means it is done and acknowledged.
func (w *Worker) runJob(ctx context.Context, job Job, msg jetstream.Msg, try tryOf, log *slog.Logger) error {
	out, final, cleanup, err := w.outDir(job, try)
	if err != nil {
		return err
	}
	defer cleanup()
	c, err := job.RunConfig(out, w.o.Machine)
	if err != nil {
		return err
	}
	if err := checkSourceFile(job.Source, w.o.ID); err != nil {
		return err
	}
	pub, err := NewPublisher(w.f.JS, PublisherOptions{Key: job.ID, Log: log})
	if err != nil {
		return err
	}
	prog := &progressSink{}
	total := declaredFrames(c)

	// The lease: an in-progress ack and the progress every heartbeat, from now until the ack.
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	beat := make(chan struct{})
	var stale atomic.Bool
	var beats sync.WaitGroup
	beats.Add(1)
	go func() {
		defer beats.Done()
		t := time.NewTicker(w.o.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-beat:
				return
			case <-t.C:
			}
			if err := msg.InProgress(); err != nil {
				log.Warn("in-progress ack failed (NATS away?); the job may be redelivered", "err", err)
			}
			frames, fps := prog.get()
			ok := w.setStatus(ctx, job, try, func(s *Status) {
				s.Frames, s.FPS, s.TotalFrames, s.Events = frames, fps, total, pub.Counts().Published+pub.Counts().Duplicates
			})
			if !ok {
				log.Warn("a later delivery of this job took it over; stopping this try")
				stale.Store(true)
				stopRun()
			}
		}
	}()
	defer func() { close(beat); beats.Wait() }()

	started := time.Now()
	sum, outs, runErr := w.o.Run(runCtx, c, app.Options{Log: log, Sinks: []pipeline.Sink{pub, prog}})
	if stale.Load() {
		return errStale
	}
	if err := runOutcome(c, sum, runErr); err != nil {
		return err
	}
	if runCtx.Err() != nil {
		return fmt.Errorf("stopped before the end: %w", runCtx.Err())
	}
	counts := pub.Counts()
	res := Result{Job: job, Worker: w.o.ID, Delivery: try.delivery, Frames: sum.Frames, FPS: sum.FPS,
		Seconds: time.Since(started).Seconds(), Kept: sum.Kept, Rejected: sum.Rejected, Emergencies: sum.Emergencies,
		Events: counts.Published + counts.Duplicates, Finished: time.Now().UTC()}
	res.Files, _ = outputFiles(outs.Dir)
	if err := writeJSON(filepath.Join(out, ResultFile), res); err != nil {
		return fmt.Errorf("%w: %v", ErrOutput, err)
	}
	where, err := w.store(ctx, job, out, final)
	if err != nil {
		return err
	}
	if !w.setStatus(ctx, job, try, func(s *Status) {
		s.State, s.Reason, s.Frames, s.FPS, s.Events, s.Output = Done, "", sum.Frames, sum.FPS, res.Events, where
		if s.TotalFrames == 0 {
			s.TotalFrames = int(sum.Frames)
		}
	}) {
		return errStale
	}
	if err := ackSync(ctx, msg); err != nil {
		log.Warn("job done but its ack failed; a redelivery will find it done", "err", err)
	}
	log.Info("job done", "frames", sum.Frames, "fps", fmt.Sprintf("%.1f", sum.FPS), "events", res.Events,
		"duplicate_events", counts.Duplicates, "output", where)
	return nil
}

// Result is the result file of a job (ResultFile), stored last with its outputs.
type Result struct {
	Job         Job       `json:"job"`
	Worker      string    `json:"worker"`
	Delivery    uint64    `json:"delivery"`
	Frames      uint64    `json:"frames"`
	FPS         float64   `json:"fps"`
	Seconds     float64   `json:"seconds"`
	Kept        uint64    `json:"kept"`
	Rejected    uint64    `json:"rejected"`
	Emergencies uint64    `json:"emergencies"`
	Events      uint64    `json:"events"` // published to the events stream (stats left out)
	Files       []string  `json:"files"`
	Finished    time.Time `json:"finished"`
}

// outDir is the folder the try writes into, where it ends up (a folder output; "" for a bucket)
// and how to clean up. A folder output is written beside its final place and renamed into it.
func (w *Worker) outDir(job Job, try tryOf) (out, final string, cleanup func(), err error) {
	if job.Output.Dir != "" {
		final = filepath.Join(job.Output.Dir, job.ID)
		out = filepath.Join(job.Output.Dir, "."+job.ID+".try-"+strconv.FormatUint(try.delivery, 10)+"-"+w.o.ID)
		os.RemoveAll(out)
		if err := os.MkdirAll(out, 0o755); err != nil {
			return "", "", nil, fmt.Errorf("%w: %s: %v (the shared output folder must be writable by the worker)", ErrOutput, job.Output.Dir, err)
		}
		return out, final, func() { os.RemoveAll(out) }, nil
	}
	out, err = os.MkdirTemp("", "metaood-"+job.ID+"-")
	if err != nil {
		return "", "", nil, fmt.Errorf("%w: local temporary folder: %v", ErrOutput, err)
	}
	return out, "", func() { os.RemoveAll(out) }, nil
}

// store puts the outputs in out at their final place and says where that is.
func (w *Worker) store(ctx context.Context, job Job, out, final string) (string, error) {
	if final != "" {
		return final, publishDir(out, final)
	}
	obs, err := w.bucket(ctx, job.Output.Bucket)
	if err != nil {
		return "", err
	}
	return "nats object store " + job.Output.Bucket + ": " + job.ID + "/", storeObjects(ctx, obs, job.ID, out)
}

func (w *Worker) bucket(ctx context.Context, name string) (jetstream.ObjectStore, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if obs := w.buckets[name]; obs != nil {
		return obs, nil
	}
	obs, err := ObjectStore(ctx, w.f.JS, name, w.f.Setup.Replicas)
	if err != nil {
		return nil, err
	}
	w.buckets[name] = obs
	return obs, nil
}

// setStatus updates the job's status for this try; false when a later delivery or submission
// owns it (this try is stale). NATS errors are logged: status is informative, the ack is what
// counts.
func (w *Worker) setStatus(ctx context.Context, job Job, try tryOf, fn func(*Status)) bool {
	err := updateStatus(ctx, w.f.Status, job.ID, func(s *Status) error {
		if s.Seq > try.seq || (s.Seq == try.seq && s.Deliveries > try.delivery) {
			return errStale
		}
		s.ID, s.Source, s.Seq, s.Deliveries, s.Submitted = job.ID, job.Source, try.seq, try.delivery, job.Submitted
		fn(s)
		return nil
	})
	if errors.Is(err, errStale) {
		return false
	}
	if err != nil {
		w.log.Warn("job status not updated", "job", job.ID, "err", err)
	}
	return true
}

// maxDelivered handles JetStream's advisory that a job reached its last delivery without an
// ack (its workers died or lost the lease each time): the job is marked failed and removed from
// the queue.
func (w *Worker) maxDelivered(ctx context.Context, data []byte) {
	var adv struct {
		StreamSeq  uint64 `json:"stream_seq"`
		Deliveries uint64 `json:"deliveries"`
	}
	if json.Unmarshal(data, &adv) != nil || adv.StreamSeq == 0 {
		return
	}
	raw, err := w.f.Jobs.GetMsg(ctx, adv.StreamSeq)
	if err != nil {
		return // already gone (acked or terminated)
	}
	job, err := ParseJob(raw.Data)
	if err == nil {
		reason := fmt.Sprintf("delivered %d times without finishing: each worker died or lost its lease (ack wait %v)",
			adv.Deliveries, w.f.Setup.AckWait)
		w.setStatus(ctx, job, tryOf{seq: adv.StreamSeq, delivery: adv.Deliveries}, func(s *Status) {
			if s.State != Done && s.State != Failed {
				s.State, s.Reason = Failed, reason
			}
		})
		w.log.Error("job failed", "job", job.ID, "reason", reason)
	}
	w.f.Jobs.DeleteMsg(ctx, adv.StreamSeq)
}

// runOutcome turns a run that ended without doing what was asked into an error, as `metaood
// run` does for its exit status.
func runOutcome(c config.Run, s pipeline.Summary, err error) error {
	switch {
	case err != nil:
		return err
	case len(s.SinkErrors) > 0:
		return fmt.Errorf("%w: %s", ErrOutput, strings.Join(s.SinkErrors, "; "))
	case s.Frames == 0 && len(s.SourceErrors) > 0:
		return fmt.Errorf("no frame was processed: %s", strings.Join(s.SourceErrors, "; "))
	case s.Frames > 0 && s.FrameErrors == s.Frames:
		return fmt.Errorf("every frame failed: %d of %d (first: %s)", s.FrameErrors, s.Frames, strings.Join(s.FirstErrors, "; "))
	case len(s.EarlyEnds) > 0 && !c.AllowPartial:
		return fmt.Errorf("the source ended early (truncated or corrupt): %s", strings.Join(s.EarlyEnds, "; "))
	}
	return nil
}

// permanent reports an error no other try can fix: a bad job, bad settings, a source spec or
// file path that does not exist, a model or classifier that is unusable or does not fit. A
// corrupt video is not among them: it is retried (a file still being copied, a flaky shared
// folder) and fails after the last delivery.
func permanent(err error) bool {
	for _, e := range []error{ErrJob, config.ErrConfig, capture.ErrSpec, infer.ErrModel, infer.ErrModelIO, metaclf.ErrFormat,
		metaclf.ErrShape, metaclf.ErrValue, metaclf.ErrFeatures, metaclf.ErrModelMismatch, metaclf.ErrMapSizeMismatch} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// checkSourceFile refuses a source file this worker cannot read (missing, no permission): a
// permanent error, so the job fails at once instead of after every delivery.
func checkSourceFile(src, worker string) error {
	if !filepath.IsAbs(src) || strings.ContainsAny(src, "*?[") {
		return nil // not a plain path (URL, synth:, a glob): the run reports it
	}
	f, err := os.Open(src)
	if err == nil {
		f.Close()
		return nil
	}
	if os.IsNotExist(err) || os.IsPermission(err) {
		return fmt.Errorf("%w: source %s cannot be read on worker %s: %v (sources must be on a folder every worker mounts at the same path)",
			ErrJob, src, worker, err)
	}
	return nil
}

// declaredFrames is the job's expected frame count for the progress view (0 = unknown).
func declaredFrames(c config.Run) int {
	src, err := capture.Open(c.Sources[0], capture.Options{}, nil)
	if err != nil {
		return 0
	}
	n := capture.DeclaredFrames(src)
	if c.Frames > 0 && (n == 0 || c.Frames < n) {
		n = c.Frames
	}
	return n
}

// progressSink counts the frames a job has done.
type progressSink struct {
	mu     sync.Mutex
	frames uint64
	fps    float64
}

func (p *progressSink) Frame(r *pipeline.Result) error {
	p.mu.Lock()
	p.frames++
	p.fps = r.FPS
	p.mu.Unlock()
	return nil
}

func (p *progressSink) get() (uint64, float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.frames, p.fps
}

func (*progressSink) Event(event.Event, []byte) error { return nil }
func (*progressSink) Close() error                    { return nil }

func ackSync(ctx context.Context, msg jetstream.Msg) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return msg.DoubleAck(actx)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
