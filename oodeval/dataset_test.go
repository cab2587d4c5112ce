package oodeval

import (
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/metaood/metaood/calib"
	"github.com/metaood/metaood/postproc"
)

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func grayPNG(t *testing.T, path string, w, h int, vals ...uint8) {
	t.Helper()
	g := image.NewGray(image.Rect(0, 0, w, h))
	copy(g.Pix, vals)
	writePNG(t, path, g)
}

func TestReadDir(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.png", "a.jpg"} {
		writePNG(t, filepath.Join(dir, ImagesDir, n), image.NewRGBA(image.Rect(0, 0, 2, 2)))
	}
	os.WriteFile(filepath.Join(dir, ImagesDir, "notes.txt"), []byte("x"), 0o644)
	grayPNG(t, filepath.Join(dir, LabelsDir, "a.png"), 2, 2)
	grayPNG(t, filepath.Join(dir, LabelsDir, "b.png"), 2, 2)
	items, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Name != "a" || items[1].Label != filepath.Join(dir, LabelsDir, "b.png") {
		t.Errorf("items %+v", items)
	}
}

func TestReadDirErrors(t *testing.T) {
	noLabels := t.TempDir()
	writePNG(t, filepath.Join(noLabels, ImagesDir, "x.png"), image.NewRGBA(image.Rect(0, 0, 2, 2)))
	missing := t.TempDir()
	writePNG(t, filepath.Join(missing, ImagesDir, "x.png"), image.NewRGBA(image.Rect(0, 0, 2, 2)))
	writePNG(t, filepath.Join(missing, ImagesDir, "y.png"), image.NewRGBA(image.Rect(0, 0, 2, 2)))
	os.MkdirAll(filepath.Join(missing, LabelsDir), 0o755)
	empty := t.TempDir()
	os.MkdirAll(filepath.Join(empty, ImagesDir), 0o755)
	os.MkdirAll(filepath.Join(empty, LabelsDir), 0o755)
	for _, c := range []struct {
		name, dir string
		err       error
		says      []string
	}{
		{"no folder", filepath.Join(empty, "nope"), ErrLayout, []string{"has no images/ folder"}},
		{"no labels/", noLabels, ErrLayout, []string{"has no labels/ folder", "255 = void"}},
		{"image without label", missing, ErrNoLabel, []string{filepath.Join(missing, LabelsDir, "x.png"), "and 1 more", "add the label PNGs"}},
		{"no images", empty, ErrLayout, []string{"no PNG or JPEG images in " + filepath.Join(empty, ImagesDir)}},
	} {
		_, err := ReadDir(c.dir)
		if !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", c.name, err, c.err)
			continue
		}
		for _, s := range c.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q does not say %q", c.name, err, s)
			}
		}
	}
}

func TestReadLabels(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.png")
	grayPNG(t, good, 2, 2, 0, 1, 255, 0)
	bad := filepath.Join(dir, "bad.png")
	grayPNG(t, bad, 2, 2, 0, 1, 7, 2)
	laf := filepath.Join(dir, "laf.png")
	grayPNG(t, laf, 2, 2, 0, 1, 2, 255)
	rgb := filepath.Join(dir, "rgb.png")
	writePNG(t, rgb, image.NewRGBA(image.Rect(0, 0, 2, 2)))

	l, w, h, err := ReadLabels(good, nil)
	if err != nil || w != 2 || h != 2 || !slices.Equal(l, []uint8{0, 1, 255, 0}) {
		t.Errorf("good: %v %d %d %v", l, w, h, err)
	}
	_, _, _, err = ReadLabels(bad, nil)
	if !errors.Is(err, ErrLabelValue) || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "holds 2") ||
		!strings.Contains(err.Error(), "--ood-labels") {
		t.Errorf("bad values: %v", err)
	}
	// LostAndFound train ids: 2 = anomaly, 255 = ignore, 0 (non-hazard) and 1 (road) known.
	l, _, _, err = ReadLabels(laf, &calib.LabelMap{OOD: []uint8{2}, Ignore: []uint8{255}})
	if err != nil || !slices.Equal(l, []uint8{0, 0, 1, 255}) {
		t.Errorf("label map: %v %v", l, err)
	}
	if _, _, _, err = ReadLabels(rgb, nil); !errors.Is(err, postproc.ErrLabelImage) || !strings.Contains(err.Error(), rgb) {
		t.Errorf("RGB label: %v", err)
	}
	if _, _, _, err = ReadLabels(filepath.Join(dir, "none.png"), nil); !errors.Is(err, ErrNoLabel) {
		t.Errorf("missing label: %v", err)
	}
	it := Item{Image: "i.png", Label: "l.png"}
	if err := CheckSize(it, 2, 2, 4, 2); !errors.Is(err, ErrLabelSize) || !strings.Contains(err.Error(), "label l.png is 2x2 but image i.png is 4x2") {
		t.Errorf("size: %v", err)
	}
}
