package capture

import "testing"

func TestDeclaredFrames(t *testing.T) {
	dir := t.TempDir()
	video := writeVideo(t, dir, "d.avi", 12, 64, 48, 25)
	for _, tc := range []struct {
		spec string
		want int
	}{
		{"synth:frames=40,size=64x32", 40},
		{"synth:size=64x32", DefaultSynthFrames},
		{"synth:frames=0,size=64x32", 0}, // endless
		{video, 12},
	} {
		src, err := Open(tc.spec, Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := DeclaredFrames(src); got != tc.want {
			t.Errorf("%s: %d frames declared, want %d", tc.spec, got, tc.want)
		}
	}
}
