package oodeval

import (
	"fmt"
	"image/color"
	"io"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

const plotSize = 6 * vg.Inch // as calib's plots

// writeCurves draws the pixel-level ROC and PR curves of every dataset (one line each, the measure
// in the legend) with the random-guess lines, into roc.png and pr.png.
func writeCurves(dir string, ds []*DatasetResult) error {
	roc := plot.New()
	roc.Title.Text = "Pixel ROC (positive = anomaly, score = normalized entropy)"
	roc.X.Label.Text, roc.Y.Label.Text = "false positive rate", "true positive rate"
	pr := plot.New()
	pr.Title.Text = "Pixel precision-recall"
	pr.X.Label.Text, pr.Y.Label.Text = "recall", "precision"
	for i, d := range ds {
		if d.Pixel.Positives == 0 || d.Pixel.Negatives == 0 {
			continue
		}
		if err := addLine(roc, fmt.Sprintf("%s AUROC %s FPR95 %s", d.Name, f3(d.Pixel.AUROC), f3(d.Pixel.FPR95)), d.curve.FPR, d.curve.TPR, i); err != nil {
			return err
		}
		if err := addLine(pr, fmt.Sprintf("%s AP %s", d.Name, f3(d.Pixel.AP)), d.curve.Recall, d.curve.Precision, i); err != nil {
			return err
		}
		prev := float64(d.Pixel.Positives) / float64(d.Pixel.Positives+d.Pixel.Negatives)
		if err := dashed(pr, fmt.Sprintf("%s random guess", d.Name), plotter.XYs{{X: 0, Y: prev}, {X: 1, Y: prev}}, i); err != nil {
			return err
		}
	}
	if err := dashed(roc, "random guess", plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}, -1); err != nil {
		return err
	}
	roc.Legend.Top, roc.Legend.Left = false, false
	roc.Legend.XOffs, roc.Legend.YOffs = -vg.Points(5), vg.Points(10)
	pr.Legend.Top, pr.Legend.Left = true, false
	pr.X.Min, pr.X.Max, pr.Y.Min, pr.Y.Max = 0, 1, 0, 1
	for _, f := range []struct {
		p    *plot.Plot
		name string
	}{{roc, FileROC}, {pr, FilePR}} {
		wt, err := f.p.WriterTo(plotSize, plotSize, "png")
		if err != nil {
			return err
		}
		if err := writeAtomic(filepath.Join(dir, f.name), func(w io.Writer) error { _, err := wt.WriteTo(w); return err }); err != nil {
			return err
		}
	}
	return nil
}

func addLine(p *plot.Plot, name string, x, y []float64, i int) error {
	pts := make(plotter.XYs, len(x))
	for k := range x {
		pts[k] = plotter.XY{X: x[k], Y: y[k]}
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.Color = plotutil.Color(i)
	l.Width = vg.Points(1.5)
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

// dashed adds a dashed reference line, grey for i < 0, else in dataset i's colour.
func dashed(p *plot.Plot, name string, pts plotter.XYs, i int) error {
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.Color = color.Gray{Y: 128}
	if i >= 0 {
		l.Color = plotutil.Color(i)
	}
	l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}
