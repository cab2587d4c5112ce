package calib

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Apply maps gt in place as the LabelMap says (see LabelMap); a nil or empty map leaves it as is.
func (lm *LabelMap) Apply(gt []uint8) { lm.apply(gt) }

// ImagePair is one image and its ground-truth label file.
type ImagePair struct {
	Name  string // image id: the path below the images folder without the image suffix, with '/'
	Image string // image file
	GT    string // label PNG
}

// imageExts are the image files ImageGTPairs takes.
var imageExts = []string{".png", ".jpg", ".jpeg"}

// ImageGTPairs pairs the images below imagesDir (PNG or JPEG, subfolders included, in path order)
// with label PNGs below gtDir in the same relative folder, the way datasets are kept (Cityscapes:
// leftImg8bit/val/frankfurt/X_leftImg8bit.png ↔ gtFine/val/frankfurt/X_gtFine_labelTrainIds.png).
// NAME is the file name without imageSuffix (default: without its extension; a file not ending in
// imageSuffix is skipped); the label is gtPattern with "{name}" replaced by NAME (default "{name}.png").
// An image without its label is an error naming both paths; so is a folder without images.
func ImageGTPairs(imagesDir, imageSuffix, gtDir, gtPattern string) ([]ImagePair, error) {
	if gtPattern == "" {
		gtPattern = "{name}.png"
	}
	if !strings.Contains(gtPattern, "{name}") {
		return nil, fmt.Errorf("%w: --gt-pattern %q has no {name} placeholder", ErrOption, gtPattern)
	}
	if st, err := os.Stat(imagesDir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%w: --images %s is not a folder of images", ErrData, imagesDir)
	}
	var pairs []ImagePair
	err := filepath.WalkDir(imagesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !slices.Contains(imageExts, strings.ToLower(filepath.Ext(path))) {
			return nil
		}
		base := filepath.Base(path)
		var name string
		if imageSuffix == "" {
			name = strings.TrimSuffix(base, filepath.Ext(base))
		} else if n, ok := strings.CutSuffix(base, imageSuffix); ok && n != "" {
			name = n
		} else {
			return nil
		}
		rel, err := filepath.Rel(imagesDir, filepath.Dir(path))
		if err != nil {
			return err
		}
		gt := filepath.Join(gtDir, rel, strings.ReplaceAll(gtPattern, "{name}", name))
		if _, err := os.Stat(gt); err != nil {
			return fmt.Errorf("%w: no label image %s for %s (check --gt-dir, --gt-pattern and --image-suffix)", ErrData, gt, path)
		}
		pairs = append(pairs, ImagePair{Name: filepath.ToSlash(filepath.Join(rel, name)), Image: path, GT: gt})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(pairs) == 0 {
		what := "PNG or JPEG files"
		if imageSuffix != "" {
			what = "files ending in " + imageSuffix
		}
		return nil, fmt.Errorf("%w: no %s below --images %s", ErrData, what, imagesDir)
	}
	return pairs, nil
}

// CSVAppender writes datasets to one components CSV as they come, so that an interrupted build keeps
// what is done: the header (image, metrics, iou, iou0) with the first Append, the rows of each.
// Every Append must have the same columns. The rows are flushed to w on every call.
type CSVAppender struct {
	w      io.Writer
	names  []string
	header bool // written
	rows   int
	buf    bytes.Buffer
}

// NewCSVAppender returns an appender writing to w.
func NewCSVAppender(w io.Writer) *CSVAppender { return &CSVAppender{w: w} }

// Rows returns the number of rows written so far.
func (a *CSVAppender) Rows() int { return a.rows }

// Append writes the rows of d (with the header first, on the first call). d must carry image ids
// and iou values (as BuildDataset's datasets do) so that every row has the same columns.
func (a *CSVAppender) Append(d *Dataset) error {
	if d.Image == nil || d.IoU == nil {
		return fmt.Errorf("%w: CSVAppender needs the image and iou columns", ErrData)
	}
	if a.names == nil {
		a.names = slices.Clone(d.Names)
	} else if !slices.Equal(a.names, d.Names) {
		return fmt.Errorf("%w: appended rows have %d feature columns, the file %d", ErrData, len(d.Names), len(a.names))
	}
	if a.header && d.N() == 0 {
		return nil
	}
	a.buf.Reset()
	if err := d.WriteCSV(&a.buf); err != nil {
		return err
	}
	b := a.buf.Bytes()
	if a.header {
		b = b[bytes.IndexByte(b, '\n')+1:] // the header is already out
	}
	if _, err := a.w.Write(b); err != nil {
		return err
	}
	a.header = true
	a.rows += d.N()
	return nil
}

// Chunks splits seq into consecutive runs of at most n items (n ≥ 1): each inner sequence must be
// consumed (or abandoned) before the next is requested. An error item ends its chunk and the whole.
func Chunks(seq iter.Seq2[Frame, error], n int) iter.Seq[iter.Seq2[Frame, error]] {
	return func(yield func(iter.Seq2[Frame, error]) bool) {
		next, stop := iter.Pull2(seq)
		defer stop()
		done := false
		for !done {
			f, err, ok := next()
			if !ok {
				return
			}
			chunk := func(y func(Frame, error) bool) {
				for k := 0; ; k++ {
					if !y(f, err) || err != nil {
						done = done || err != nil
						return
					}
					if k+1 == n {
						return
					}
					if f, err, ok = next(); !ok {
						done = true
						return
					}
				}
			}
			if !yield(chunk) {
				return
			}
		}
	}
}
