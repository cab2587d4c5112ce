package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/pflag"

	"github.com/metaood/metaood/config"
	"github.com/metaood/metaood/fleet"
)

// fleetFlags are the flags every fleet command shares: the server, and how the streams are made
// the first time (later the existing ones are used as they are).
func fleetFlags(fs *pflag.FlagSet, url *string, s *fleet.Setup) {
	fs.StringVar(url, "nats", fleet.DefaultNATSURL, "NATS server URL (nats-server -js); user:password@ or a token in the URL if it needs one")
	fs.DurationVar(&s.AckWait, "ack-wait", s.AckWait, "when the jobs consumer is created: how long a job may go without a sign of life before another worker gets it")
	fs.IntVar(&s.MaxDeliver, "max-deliver", s.MaxDeliver, "when the jobs consumer is created: deliveries of a job before it is failed")
	fs.DurationVar(&s.Dedupe, "dedupe-window", s.Dedupe, "when the events stream is created: its duplicate window (cover the longest job × max-deliver)")
	fs.IntVar(&s.Replicas, "replicas", s.Replicas, "when streams and buckets are created: replicas (3 on a NATS cluster)")
}

// openFleet connects and sets the fleet up; close closes the connection.
func openFleet(ctx context.Context, url, name string, s fleet.Setup, logLevel string) (*fleet.Fleet, *nats.Conn, error) {
	if s.AckWait < time.Second || s.MaxDeliver < 1 || s.Dedupe < 0 || s.Replicas < 1 || s.Replicas > 5 {
		return nil, nil, badUsage(fmt.Errorf("--ack-wait %v (at least 1s), --max-deliver %d (at least 1), --dedupe-window %v, --replicas %d (1 to 5)",
			s.AckWait, s.MaxDeliver, s.Dedupe, s.Replicas))
	}
	nc, err := fleet.Connect(url, name, newLogger(logLevel, os.Stderr))
	if err != nil {
		return nil, nil, err
	}
	js, err := fleet.NewJetStream(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	f, err := fleet.Ensure(sctx, js, s)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return f, nc, nil
}

func cmdWorker(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("worker", pflag.ContinueOnError)
	var url string
	s := fleet.DefaultSetup()
	fleetFlags(fs, &url, &s)
	c := config.Default()
	id := fs.String("id", "", "this worker's name in the job status (default host-pid)")
	bindMachineFlags(fs, &c)
	maxJobs := fs.Int("max-jobs", 0, "stop after N jobs (0 = run until stopped)")
	idle := fs.Duration("idle-exit", 0, "stop when no job came for this long (0 = never): batch machines that should shut down")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug | info | warn | error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text | json")
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, `Usage: metaood worker [flags]

Pulls replay jobs ('metaood submit') from the NATS JetStream work queue one at a time and runs
each like 'metaood run': its events go to the fleet's events stream, its outputs to the object
store or shared folder the job names. A job is acknowledged once its outputs are stored; a
worker that dies mid-job loses nothing: after --ack-wait the job goes to another worker. Ctrl-C
hands the running job back to the queue at once.

Flags:
`)
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return badUsage(err)
	}
	if *maxJobs < 0 || *idle < 0 {
		return badUsage(errors.New("--max-jobs and --idle-exit must not be negative"))
	}
	log := newLoggerAs(c.LogLevel, c.LogFormat, os.Stderr)
	f, nc, err := openFleet(ctx, url, "metaood worker", s, c.LogLevel)
	if err != nil {
		return err
	}
	defer nc.Close()
	w := fleet.NewWorker(f, nc, fleet.WorkerOptions{ID: *id, Machine: fleet.MachineOf(c), Log: log, MaxJobs: *maxJobs, IdleExit: *idle})
	fmt.Fprintf(os.Stderr, "metaood worker %s: jobs from %s (ack wait %v, %d deliveries at most)\n", w.ID(), nc.ConnectedUrlRedacted(),
		f.Setup.AckWait, f.Setup.MaxDeliver)
	return w.Run(ctx)
}
