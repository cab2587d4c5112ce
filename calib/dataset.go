// Package calib trains and evaluates metaood's meta classifiers: components datasets (CSV), logistic
// regression (liblinear's objective, Newton solve) and the paper's MLP (Adam, PyTorch defaults),
// cross-validation under the paper's and an honest protocol, AUROC/AUPRC, LARS and Algorithm 1, reports.
package calib

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
)

// Dataset is a components dataset: one row per predicted component (docs/METHOD.md §4).
type Dataset struct {
	Names []string  // feature names, in file order (the 37+2C metrics)
	Image []string  // image id per row; nil when the file has no image column
	X     []float64 // N × len(Names), row-major
	Y     []float64 // iou0: 1 = false positive, 0 = true positive
	IoU   []float64 // adjusted IoU per row; nil when the file has no iou column
}

// N returns the number of rows (components).
func (d *Dataset) N() int { return len(d.Y) }

// P returns the number of features.
func (d *Dataset) P() int { return len(d.Names) }

// Classes returns C such that P = 37 + 2C, or 0 when P is not of that form.
func (d *Dataset) Classes() int {
	if p := d.P(); p >= 39 && (p-37)%2 == 0 {
		return (p - 37) / 2
	}
	return 0
}

// Row returns row i of X (a view).
func (d *Dataset) Row(i int) []float64 { p := d.P(); return d.X[i*p : (i+1)*p] }

// CountFP returns the number of false-positive rows (iou0 = 1).
func (d *Dataset) CountFP() int {
	n := 0
	for _, y := range d.Y {
		if y == 1 {
			n++
		}
	}
	return n
}

// Groups returns a group index per row (rows of the same image share it) and the number of groups.
func (d *Dataset) Groups() ([]int, int, error) {
	if d.Image == nil {
		return nil, 0, fmt.Errorf("%w: the dataset has no image column, needed to group components by image (build it with 'metaood calib dataset')", ErrData)
	}
	idx := map[string]int{}
	g := make([]int, d.N())
	for i, im := range d.Image {
		k, ok := idx[im]
		if !ok {
			k = len(idx)
			idx[im] = k
		}
		g[i] = k
	}
	return g, len(idx), nil
}

// Select returns a dataset with the features in cols (indices into Names), same rows.
func (d *Dataset) Select(cols []int) *Dataset {
	out := &Dataset{Image: d.Image, Y: d.Y, IoU: d.IoU}
	for _, c := range cols {
		out.Names = append(out.Names, d.Names[c])
	}
	out.X = make([]float64, d.N()*len(cols))
	for i := range d.N() {
		r := d.Row(i)
		for j, c := range cols {
			out.X[i*len(cols)+j] = r[c]
		}
	}
	return out
}

// ReadCSVFile reads a dataset CSV file (see ReadCSV).
func ReadCSVFile(path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w (make one with 'metaood calib dataset')", path, err)
	}
	defer f.Close()
	d, err := ReadCSV(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", path, err)
	}
	return d, nil
}

// ReadCSV reads the components CSV of docs/CONTRACTS.md §2: an optional first column "image", the metric columns,
// then "iou" (optional) and "iou0" (required, 0 or 1). Every number must be finite.
func ReadCSV(r io.Reader) (*Dataset, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty file, want a header line", ErrCSV)
		}
		return nil, fmt.Errorf("%w: header: %v", ErrCSV, err)
	}
	head = append([]string(nil), head...)
	d := &Dataset{}
	first, iouCol, iou0Col := 0, -1, -1
	if len(head) > 0 && head[0] == "image" {
		first = 1
		d.Image = []string{}
	}
	var feat []int
	seen := map[string]bool{}
	for i := first; i < len(head); i++ {
		name := head[i]
		if name == "" || seen[name] {
			return nil, fmt.Errorf("%w: header column %d is empty or repeated (%q)", ErrCSV, i+1, name)
		}
		seen[name] = true
		switch name {
		case "iou":
			iouCol = i
		case "iou0":
			iou0Col = i
		case "image":
			return nil, fmt.Errorf("%w: column \"image\" must come first", ErrCSV)
		default:
			feat = append(feat, i)
			d.Names = append(d.Names, name)
		}
	}
	if iou0Col < 0 {
		return nil, fmt.Errorf("%w: no iou0 column (the label: 1 = false positive); compute features with ground truth", ErrCSV)
	}
	if len(feat) == 0 {
		return nil, fmt.Errorf("%w: no feature columns", ErrCSV)
	}
	if iouCol >= 0 {
		d.IoU = []float64{}
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrCSV, line, err)
		}
		if first == 1 {
			d.Image = append(d.Image, rec[0])
		}
		for k, c := range feat {
			v, err := parseFinite(rec[c])
			if err != nil {
				return nil, fmt.Errorf("line %d column %s: %w", line, d.Names[k], err)
			}
			d.X = append(d.X, v)
		}
		y, err := parseFinite(rec[iou0Col])
		if err != nil || (y != 0 && y != 1) {
			return nil, fmt.Errorf("%w: line %d column iou0 is %q, want 0 or 1", ErrValue, line, rec[iou0Col])
		}
		d.Y = append(d.Y, y)
		if iouCol >= 0 {
			v, err := parseFinite(rec[iouCol])
			if err != nil {
				return nil, fmt.Errorf("line %d column iou: %w", line, err)
			}
			d.IoU = append(d.IoU, v)
		}
	}
	if d.N() == 0 {
		return nil, fmt.Errorf("%w: header only, no rows", ErrCSV)
	}
	return d, nil
}

func parseFinite(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is not a number", ErrCSV, s)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%w: %q is not finite", ErrValue, s)
	}
	return v, nil
}

// WriteCSV writes d in the format ReadCSV reads (floats round-trip exactly).
func (d *Dataset) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	var head []string
	if d.Image != nil {
		head = append(head, "image")
	}
	head = append(head, d.Names...)
	if d.IoU != nil {
		head = append(head, "iou")
	}
	head = append(head, "iou0")
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, 0, len(head))
	for i := range d.N() {
		rec = rec[:0]
		if d.Image != nil {
			rec = append(rec, d.Image[i])
		}
		for _, v := range d.Row(i) {
			rec = append(rec, strconv.FormatFloat(v, 'g', -1, 64))
		}
		if d.IoU != nil {
			rec = append(rec, strconv.FormatFloat(d.IoU[i], 'g', -1, 64))
		}
		rec = append(rec, strconv.FormatFloat(d.Y[i], 'g', -1, 64))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
