// Command metaood finds road anomalies in video: segmentation → entropy → components →
// meta classifier → annotated output, events and live WebRTC. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/pflag"
)

// command is one subcommand. run gets the arguments after the subcommand's name.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string) error
}

// commands is the table `metaood help` prints, in the order a newcomer needs them.
var commands = []command{
	{"run", "the main job: sources → inference → anomalies → video, events, WebRTC", cmdRun},
	{"features", "per-component metrics (75 for 19 classes) of one frame (probability map or image + model), as CSV", cmdFeatures},
	{"calib", "meta classifiers: dataset, train, cv, lars, report", cmdCalib},
	{"eval", "evaluate on labelled frames: pixel AUROC/AP/FPR95, SMIYC components, instances hit, false alarms", cmdEval},
	{"train", "entropy maximization (train ood) and proxy-object images (train proxies)", cmdTrain},
	{"synth", "synthetic drives, proxy anomalies and the tiny segmentation model", cmdSynth},
	{"bench", "throughput of inference and of the whole pipeline", cmdBench},
	{"submit", "queue replay jobs (files, folders, a manifest) on NATS JetStream for the workers", cmdSubmit},
	{"worker", "run replay jobs from NATS JetStream; events and outputs go back to the fleet", cmdWorker},
	{"jobs", "the fleet's jobs: queued, running, done, failed, with progress", cmdJobs},
	{"version", "print the version", cmdVersion},
}

// errUsage marks an error caused by the command line; main prints a hint for it.
var errUsage = errors.New("usage")

func main() {
	// A reader that goes away (`metaood run | head -1`) makes writes to stdout fail with EPIPE,
	// an output that failed, instead of killing the process before the video is finalized.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first Ctrl-C stops gracefully (frames in flight finished, outputs finalized); a
		// second one stops at once but still finalizes the outputs; a third one kills.
		<-ctx.Done()
		again := make(chan os.Signal, 1)
		signal.Notify(again, os.Interrupt, syscall.SIGTERM)
		stop()
		<-again
		fmt.Fprintln(os.Stderr, "metaood: stopping now: frames in flight are dropped, outputs are still finalized (once more kills)")
		close(hurry)
		signal.Stop(again)
	}()
	os.Exit(dispatch(ctx, os.Args[1:]))
}

// hurry is closed by a second Ctrl-C: a run then stops at once and only finalizes its outputs.
var hurry = make(chan struct{})

func dispatch(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp()
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			if err := c.run(ctx, args[1:]); err != nil {
				err = withHint(err)
				fmt.Fprintf(os.Stderr, "metaood %s: %v\n", c.name, err)
				if errors.Is(err, errUsage) {
					fmt.Fprintf(os.Stderr, "run 'metaood %s --help' for the flags\n", c.name)
					return 2
				}
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(os.Stderr, "metaood: unknown command %q; 'metaood help' lists them\n", args[0])
	return 2
}

// dispatchSub runs the subcommand of a command group (`metaood calib train …`), or prints the
// group's list for help; the group name is for messages.
func dispatchSub(ctx context.Context, group string, subs []command, args []string) error {
	names := make([]string, len(subs))
	for i, c := range subs {
		names[i] = c.name
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Printf("Usage: metaood %s <%s> [flags]\n\nSubcommands:\n", group, strings.Join(names, "|"))
		for _, c := range subs {
			fmt.Printf("  %-8s %s\n", c.name, c.summary)
		}
		if len(args) == 0 {
			return fmt.Errorf("%w: missing subcommand", errUsage)
		}
		return nil
	}
	for _, c := range subs {
		if c.name == args[0] {
			return c.run(ctx, args[1:])
		}
	}
	return fmt.Errorf("%w: unknown %s subcommand %q (%s)", errUsage, group, args[0], strings.Join(names, ", "))
}

func printHelp() {
	fmt.Println("metaood — real-time road anomaly detection (entropy + meta classification)")
	fmt.Println("\nUsage: metaood <command> [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Printf("  %-9s %s\n", c.name, c.summary)
	}
	fmt.Println("  help      this list\n\n'metaood <command> --help' shows a command's flags.")
}

// parseFlags parses a subcommand's flags: help reports true (usage printed, exit 0); mistakes and
// stray arguments wrap errUsage.
func parseFlags(fs *pflag.FlagSet, args []string) (bool, error) {
	fs.SortFlags = false
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return true, nil
		}
		return false, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return false, nil
}
