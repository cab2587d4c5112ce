package oodeval

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/metaood/metaood/calib"
	"github.com/metaood/metaood/postproc"
)

// Label values of the SegmentMeIfYouCan convention, which everything in this package uses.
const (
	Known   = 0   // in-distribution pixel
	Anomaly = 1   // anomaly pixel
	Void    = 255 // ignored pixel: not scored, removed from predictions
)

// Dataset folder layout (SegmentMeIfYouCan): DIR/images/NAME.{png,jpg,jpeg} and DIR/labels/NAME.png.
const (
	ImagesDir = "images"
	LabelsDir = "labels"
)

const layoutHint = "want DIR/images/NAME.png|jpg and DIR/labels/NAME.png with 0 = known, 1 = anomaly, 255 = void"

// Item is one labelled frame of a dataset folder.
type Item struct {
	Name  string // file name without extension
	Image string // path of the image
	Label string // path of the label PNG
}

// ReadDir lists the frames of a dataset folder in name order. A missing images/ or labels/ folder,
// a folder without images and an image without its label file are errors naming the path and the fix.
func ReadDir(dir string) ([]Item, error) {
	for _, sub := range []string{ImagesDir, LabelsDir} {
		p := filepath.Join(dir, sub)
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("%w: %s has no %s/ folder (%s)", ErrLayout, dir, sub, layoutHint)
		}
	}
	ents, err := os.ReadDir(filepath.Join(dir, ImagesDir))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLayout, err)
	}
	var items []Item
	var missing []string
	for _, e := range ents {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || !slices.Contains([]string{".png", ".jpg", ".jpeg"}, ext) {
			continue
		}
		name := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))
		it := Item{Name: name, Image: filepath.Join(dir, ImagesDir, e.Name()), Label: filepath.Join(dir, LabelsDir, name+".png")}
		if _, err := os.Stat(it.Label); err != nil {
			missing = append(missing, fmt.Sprintf("%s (for %s)", it.Label, it.Image))
			continue
		}
		items = append(items, it)
	}
	if len(missing) > 0 {
		more := ""
		if len(missing) > 1 {
			more = fmt.Sprintf(" and %d more", len(missing)-1)
		}
		return nil, fmt.Errorf("%w: %s%s; add the label PNGs or remove those images (%s)", ErrNoLabel, missing[0], more, layoutHint)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%w: no PNG or JPEG images in %s (%s)", ErrLayout, filepath.Join(dir, ImagesDir), layoutHint)
	}
	for i := 1; i < len(items); i++ {
		if items[i].Name == items[i-1].Name {
			return nil, fmt.Errorf("%w: %s and %s share the label %s; keep one", ErrLayout, items[i-1].Image, items[i].Image, items[i].Label)
		}
	}
	return items, nil
}

// ReadLabels reads a label PNG and returns it in the 0/1/255 convention. With lm nil the file must
// hold only 0, 1 and 255 (otherwise the error names the file and the value). With lm (Cityscapes-style
// train ids, e.g. LostAndFound: OOD 2, ignore 255) every value is allowed: lm.OOD become 1, lm.Ignore
// 255 and all others 0 (known).
func ReadLabels(path string, lm *calib.LabelMap) (labels []uint8, w, h int, err error) {
	labels, w, h, err = postproc.ReadLabelPNG(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, 0, 0, fmt.Errorf("%w: %s: %v", ErrNoLabel, path, err)
		}
		return nil, 0, 0, fmt.Errorf("label %w", err)
	}
	if lm == nil || (len(lm.OOD) == 0 && len(lm.Ignore) == 0) {
		var seen [256]bool
		for _, v := range labels {
			seen[v] = true
		}
		for v, ok := range seen {
			if ok && v != Known && v != Anomaly && v != Void {
				return nil, 0, 0, fmt.Errorf("%w: label %s holds %d (want 0 = known, 1 = anomaly, 255 = void; for Cityscapes-style train ids pass --ood-labels and --ignore-labels)", ErrLabelValue, path, v)
			}
		}
		return labels, w, h, nil
	}
	lm.Apply(labels) // OOD → 254, ignore → 255, others → 0
	for i, v := range labels {
		if v == postproc.DefaultOODLabel {
			labels[i] = Anomaly
		}
	}
	return labels, w, h, nil
}

// CheckSize reports a label image whose size differs from its image's, naming both files.
func CheckSize(it Item, lw, lh, iw, ih int) error {
	if lw != iw || lh != ih {
		return fmt.Errorf("%w: label %s is %dx%d but image %s is %dx%d; labels must have the image's size", ErrLabelSize, it.Label, lw, lh, it.Image, iw, ih)
	}
	return nil
}
