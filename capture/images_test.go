package capture

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// writeImages writes a solid PNG per name, colour(i) for names[i].
func writeImages(t *testing.T, dir string, names ...string) {
	t.Helper()
	for i, name := range names {
		b, g, r := colour(i)
		m := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(float64(b), float64(g), float64(r), 0), 10, 16, gocv.MatTypeCV8UC3)
		ok := gocv.IMWrite(filepath.Join(dir, name), m)
		m.Close()
		if !ok {
			t.Fatalf("IMWrite %s failed", name)
		}
	}
}

func TestImageFolderAndGlobSorted(t *testing.T) {
	dir := t.TempDir()
	writeImages(t, dir, "f10.png", "f2.png", "f1.png")     // colours 0, 1, 2
	for _, name := range []string{"notes.txt", "f3.png"} { // f3.png is not an image inside
		if err := os.WriteFile(filepath.Join(dir, name), []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		spec      string
		wantID    string
		wantOrder []int // colour index of each delivered frame
		wantErrs  uint64
	}{
		{dir, filepath.Base(dir), []int{2, 0, 1}, 1}, // f1 f10 f2 (f3 unreadable)
		{filepath.Join(dir, "f1*.png"), filepath.Base(dir), []int{2, 0}, 0},
		{filepath.Join(dir, "f2.png"), "f2.png", []int{1}, 0},
		{"seq=" + filepath.Join(dir, "*.png"), "seq", []int{2, 0, 1}, 1},
	}
	for _, tc := range cases {
		t.Run(filepath.Base(tc.spec), func(t *testing.T) {
			src, err := Open(tc.spec, Options{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if src.ID() != tc.wantID {
				t.Errorf("ID %q, want %q", src.ID(), tc.wantID)
			}
			frames, err := collect(t, src)
			if err != nil {
				t.Fatal(err)
			}
			var order []int
			for _, f := range frames {
				if f.W != 16 || f.H != 10 || f.Source != tc.wantID {
					t.Errorf("frame %s/%d is %dx%d", f.Source, f.Seq, f.W, f.H)
				}
				for i := range 3 {
					if b, _, _ := colour(i); f.Pix[0] == b {
						order = append(order, i)
					}
				}
			}
			if !slices.Equal(order, tc.wantOrder) {
				t.Errorf("colour order %v, want %v", order, tc.wantOrder)
			}
			if st := src.(*imageSource).Stats(); st.Errors != tc.wantErrs {
				t.Errorf("errors %d, want %d", st.Errors, tc.wantErrs)
			}
		})
	}
}

func TestImageErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	bad := filepath.Join(dir, "bad")
	for _, d := range []string{empty, bad} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(bad, "x.jpg"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{empty, filepath.Join(dir, "*.png")} {
		if _, err := Open(spec, Options{}, nil); !errors.Is(err, ErrOpen) || !strings.Contains(err.Error(), spec) {
			t.Errorf("Open(%s) = %v; want ErrOpen naming it", spec, err)
		}
	}
	src, err := Open(bad, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := collect(t, src); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a folder of unreadable images: %v, want ErrCorrupt", err)
	}
}
