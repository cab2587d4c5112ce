package synth

import (
	"errors"
	"testing"
)

func TestParseSpec(t *testing.T) {
	sp, err := ParseSpec("seed=3, frames=600,size=64x32,fps=12.5,anomalies=0,first=4,step=2")
	if err != nil {
		t.Fatal(err)
	}
	if sp.Config.Seed != 3 || sp.Frames != 600 || sp.Config.W != 64 || sp.Config.H != 32 || sp.FPS != 12.5 ||
		sp.Config.Anomalies || sp.First != 4 || sp.Step != 2 || !sp.Given("fps") || sp.Given("nope") {
		t.Errorf("%+v", sp)
	}
	def, err := ParseSpec("")
	if err != nil || def.Frames != -1 || def.Step != 1 || def.Config != DefaultConfig() || def.Given("seed") {
		t.Errorf("default: %+v, %v", def, err)
	}
	for _, bad := range []string{"seed", "seed=", "seed=1,seed=2", "colour=red", "frames=-1", "frames=x",
		"anomalies=2", "size=10x10", "fps=0", "fps=nan", "step=0", "first=-3", "seed=99999999999"} {
		if _, err := ParseSpec(bad); !errors.Is(err, ErrConfig) {
			t.Errorf("ParseSpec(%q) = %v, want ErrConfig", bad, err)
		}
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"", "seed=1,frames=3", "size=64x32,fps=30", "step=2,first=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpec(s)
		if err != nil {
			return
		}
		if sp.Step < 1 || sp.First < 0 || sp.Frames < -1 || sp.Config.Validate() != nil {
			t.Fatalf("%q accepted as %+v", s, sp)
		}
	})
}
