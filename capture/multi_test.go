package capture

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/metaood/metaood/frame"
)

func TestOpenAllRunAll(t *testing.T) {
	srcs, err := OpenAll([]string{"synth:frames=3,size=32x32", "synth:frames=4,seed=2,size=32x32", "rear=synth:frames=2,size=32x32"}, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{srcs[0].ID(), srcs[1].ID(), srcs[2].ID()}
	if ids[0] != "synth" || ids[1] != "synth#2" || ids[2] != "rear" {
		t.Fatalf("ids %v, want synth, synth#2, rear", ids)
	}
	out := make(chan *frame.Frame, 16)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := RunAll(ctx, srcs, out); err != nil {
		t.Fatal(err)
	}
	close(out)
	next := map[string]uint64{}
	for f := range out {
		if f.Seq != next[f.Source] {
			t.Errorf("%s: seq %d, want %d", f.Source, f.Seq, next[f.Source])
		}
		next[f.Source]++
	}
	if next["synth"] != 3 || next["synth#2"] != 4 || next["rear"] != 2 {
		t.Errorf("frames per source %v", next)
	}
}

func TestOpenAllErrors(t *testing.T) {
	if _, err := OpenAll(nil, Options{}, nil); !errors.Is(err, ErrSpec) {
		t.Errorf("no specs: %v", err)
	}
	if _, err := OpenAll([]string{"synth", "synth:bogus=1"}, Options{}, nil); !errors.Is(err, ErrSpec) {
		t.Errorf("bad second spec: %v", err)
	}
	// One failing source does not stop the others; its error is reported.
	srcs, err := OpenAll([]string{"synth:frames=2,size=32x32", "cam:/dev/video96"}, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan *frame.Frame, 8)
	err = RunAll(context.Background(), srcs, out)
	if !errors.Is(err, ErrOpen) || len(out) != 2 {
		t.Errorf("RunAll = %v with %d frames; want the camera's ErrOpen and 2 synth frames", err, len(out))
	}
}
