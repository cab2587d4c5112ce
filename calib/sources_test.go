package calib

import (
	"bytes"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImageGTPairs(t *testing.T) {
	dir := t.TempDir()
	touch := func(p string) {
		t.Helper()
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Cityscapes layout with a city subfolder, plus a flat layout.
	touch("left/val/frankfurt/f_000001_leftImg8bit.png")
	touch("left/val/munster/m_000002_leftImg8bit.png")
	touch("left/val/munster/readme.txt")
	touch("gt/val/frankfurt/f_000001_gtFine_labelTrainIds.png")
	touch("gt/val/munster/m_000002_gtFine_labelTrainIds.png")
	touch("flat/img/a.jpg")
	touch("flat/img/b.PNG")
	touch("flat/lab/a.png")
	touch("flat/lab/b.png")

	cases := []struct {
		name                           string
		images, suffix, gtDir, pattern string
		want                           []string // Name=GT (relative to dir)
		err                            string
	}{
		{"cityscapes", "left/val", "_leftImg8bit.png", "gt/val", "{name}_gtFine_labelTrainIds.png",
			[]string{"frankfurt/f_000001=gt/val/frankfurt/f_000001_gtFine_labelTrainIds.png", "munster/m_000002=gt/val/munster/m_000002_gtFine_labelTrainIds.png"}, ""},
		{"flat", "flat/img", "", "flat/lab", "", []string{"a=flat/lab/a.png", "b=flat/lab/b.png"}, ""},
		{"missing label", "left/val", "_leftImg8bit.png", "gt/val", "{name}.png", nil, "f_000001.png"},
		{"suffix matches nothing", "flat/img", "_x.png", "flat/lab", "", nil, "_x.png"},
		{"no placeholder", "flat/img", "", "flat/lab", "gt.png", nil, "{name}"},
		{"not a folder", "flat/img/a.jpg", "", "flat/lab", "", nil, "a.jpg"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pairs, err := ImageGTPairs(filepath.Join(dir, c.images), c.suffix, filepath.Join(dir, c.gtDir), c.pattern)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want one naming %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range pairs {
				rel, _ := filepath.Rel(dir, p.GT)
				got = append(got, p.Name+"="+filepath.ToSlash(rel))
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Fatalf("got %v\nwant %v", got, c.want)
			}
		})
	}
}

func frameSeq(n, failAt int) iter.Seq2[Frame, error] {
	return func(yield func(Frame, error) bool) {
		for i := range n {
			var err error
			if i == failAt {
				err = errors.New("broken")
			}
			if !yield(Frame{Image: fmt.Sprint(i)}, err) || err != nil {
				return
			}
		}
	}
}

func TestChunks(t *testing.T) {
	cases := []struct {
		n, size, failAt int
		want            string
	}{
		{7, 3, -1, "012|345|6"},
		{6, 3, -1, "012|345"},
		{0, 3, -1, ""},
		{5, 1, -1, "0|1|2|3|4"},
		{7, 3, 4, "012|34!"},
	}
	for _, c := range cases {
		var b strings.Builder
		k := 0
		for chunk := range Chunks(frameSeq(c.n, c.failAt), c.size) {
			if k > 0 {
				b.WriteByte('|')
			}
			k++
			for f, err := range chunk {
				b.WriteString(f.Image)
				if err != nil {
					b.WriteByte('!')
				}
			}
		}
		if b.String() != c.want {
			t.Errorf("%d frames in chunks of %d (fail at %d): %q, want %q", c.n, c.size, c.failAt, b.String(), c.want)
		}
	}
}

func TestCSVAppender(t *testing.T) {
	mk := func(img string, rows int) *Dataset {
		d := &Dataset{Names: []string{"a", "b"}, Image: []string{}, IoU: []float64{}}
		for i := range rows {
			d.Image = append(d.Image, img)
			d.X = append(d.X, float64(i), 0.5)
			d.IoU = append(d.IoU, 0.25)
			d.Y = append(d.Y, float64(i%2))
		}
		return d
	}
	var buf bytes.Buffer
	a := NewCSVAppender(&buf)
	for _, d := range []*Dataset{mk("x", 0), mk("y", 2), mk("z", 0), mk("w", 1)} {
		if err := a.Append(d); err != nil {
			t.Fatal(err)
		}
	}
	want := "image,a,b,iou,iou0\ny,0,0.5,0.25,0\ny,1,0.5,0.25,1\nw,0,0.5,0.25,0\n"
	if buf.String() != want || a.Rows() != 3 {
		t.Fatalf("%d rows:\n%s\nwant\n%s", a.Rows(), buf.String(), want)
	}
	if _, err := ReadCSV(&buf); err != nil {
		t.Fatal(err)
	}
	other := mk("v", 1)
	other.Names = []string{"a", "c"}
	if err := a.Append(other); !errors.Is(err, ErrData) {
		t.Fatalf("other columns: %v", err)
	}
}
