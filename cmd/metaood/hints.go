package main

import (
	"errors"
	"strings"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/fleet"
	"github.com/metaood/metaood/infer"
	"github.com/metaood/metaood/pipeline"
	"github.com/metaood/metaood/postproc"
	"github.com/metaood/metaood/record"
	"github.com/metaood/metaood/render"
	"github.com/metaood/metaood/sink/mqtt"
	"github.com/metaood/metaood/stream"
)

// flagHints name the flag that fixes an error the packages report in their own terms (they do
// not know the command line). The first match is printed after the error.
var flagHints = []struct {
	err  error
	hint string
}{
	{infer.ErrProvider, "use --provider cpu, or --allow-fallback to run on the CPU with a warning"},
	{infer.ErrNoRuntime, "or point --ort-lib at a libonnxruntime.so"},
	{infer.ErrModelIO, "check --model, --classes, --input-size and --probs against the model"},
	{pipeline.ErrOutDir, "give --out (or --events, --csv) a path you can write to"},
	{postproc.ErrNotProbabilities, "if the maps are logits, pass --logits"},
	{render.ErrVideo, "check the --out folder, or try --video out.avi"},
	{record.ErrWebM, "check the --out folder (free space, permissions)"},
	{event.ErrTracker, "check --corridor, --emergency-k, --emergency-n and --emergency-area"},
	{event.ErrTypes, "list event types like --webhook-events emergency,clear"},
	{mqtt.ErrConfig, "check --mqtt, --mqtt-prefix and --mqtt-user"},
	{stream.ErrListen, "check --webrtc and --webrtc-udp-port: another program may hold the port"},
	{fleet.ErrNATS, "check --nats, e.g. nats://host:4222 (nats-server -js)"},
}

// flagHint returns the hint for err, or "".
func flagHint(err error) string {
	for _, h := range flagHints {
		if errors.Is(err, h.err) {
			return h.hint
		}
	}
	return ""
}

// withHint adds the flag hint to err's message (once); nil stays nil.
func withHint(err error) error {
	if err == nil {
		return nil
	}
	h := flagHint(err)
	if h == "" || strings.Contains(err.Error(), h) {
		return err
	}
	return hinted{err, h}
}

type hinted struct {
	err  error
	hint string
}

func (h hinted) Error() string { return h.err.Error() + " (" + h.hint + ")" }
func (h hinted) Unwrap() error { return h.err }
