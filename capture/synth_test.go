package capture

import (
	"bytes"
	"testing"

	"github.com/metaood/metaood/frame"
)

func TestSynthReplayIsFiniteAndDeterministic(t *testing.T) {
	run := func() []*frame.Frame {
		src, err := Open("synth:seed=3,frames=5,size=64x32", Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		frames, err := collect(t, src)
		if err != nil {
			t.Fatal(err)
		}
		return frames
	}
	a, b := run(), run()
	if len(a) != 5 || len(b) != 5 {
		t.Fatalf("%d and %d frames, want 5", len(a), len(b))
	}
	for i := range a {
		if a[i].Seq != uint64(i) || a[i].W != 64 || a[i].H != 32 || a[i].Source != "synth" {
			t.Errorf("frame %d: %s/%d %dx%d", i, a[i].Source, a[i].Seq, a[i].W, a[i].H)
		}
		if !bytes.Equal(a[i].Pix, b[i].Pix) {
			t.Errorf("frame %d differs between runs", i)
		}
	}
	if bytes.Equal(a[0].Pix, a[4].Pix) {
		t.Error("frames 0 and 4 are identical: the drive does not move")
	}
}

// Options.Realtime makes a drive frame.Paced at its fps (the pipeline paces it and keeps the
// newest frame); frames=0 is endless.
func TestSynthModes(t *testing.T) {
	src, err := Open("synth:frames=0,fps=200,size=32x32", Options{Realtime: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if src.Mode() != frame.Paced || src.FPS() != 200 {
		t.Fatalf("mode %v at %v fps, want paced at 200", src.Mode(), src.FPS())
	}
	st, err := src.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := range DefaultSynthFrames + 5 { // past a default drive's end
		f, err := st.Next()
		if err != nil || f.Seq != uint64(i) {
			t.Fatalf("frame %d of an endless drive: %v (seq %v)", i, err, f)
		}
	}
	if src, _ := Open("synth", Options{}, nil); src.Mode() != frame.Replay {
		t.Errorf("mode %v without Realtime, want replay", src.Mode())
	}
}
