package capture

import (
	"errors"
	"testing"
)

func TestOpenAll(t *testing.T) {
	srcs, err := OpenAll([]string{"synth:frames=3,size=32x32", "synth:frames=4,seed=2,size=32x32", "rear=synth:frames=2,size=32x32"}, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{srcs[0].ID(), srcs[1].ID(), srcs[2].ID()}
	if ids[0] != "synth" || ids[1] != "synth#2" || ids[2] != "rear" {
		t.Fatalf("ids %v, want synth, synth#2, rear", ids)
	}
	for i, want := range []int{3, 4, 2} {
		frames, err := collect(t, srcs[i])
		if err != nil || len(frames) != want || frames[0].Source != ids[i] {
			t.Errorf("%s: %d frames, err %v; want %d", ids[i], len(frames), err, want)
		}
	}
}

func TestOpenAllErrors(t *testing.T) {
	if _, err := OpenAll(nil, Options{}, nil); !errors.Is(err, ErrSpec) {
		t.Errorf("no specs: %v", err)
	}
	if _, err := OpenAll([]string{"synth", "synth:bogus=1"}, Options{}, nil); !errors.Is(err, ErrSpec) {
		t.Errorf("bad second spec: %v", err)
	}
	// A camera that is absent opens (its device is connected by Open, in the pipeline).
	if _, err := OpenAll([]string{"synth:frames=2,size=32x32", "cam:/dev/video96"}, Options{}, nil); err != nil {
		t.Errorf("OpenAll with an absent camera: %v, want nil (Open reports it)", err)
	}
}
