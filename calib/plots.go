package calib

import (
	"fmt"
	"image/color"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Plot file names written by WritePlots.
const (
	PlotROC   = "roc.png"
	PlotPR    = "pr.png"
	PlotLARS  = "lars.png"
	PlotAlg1  = "alg1.png"
	plotWidth = 6 * vg.Inch
)

func xys(x, y []float64) plotter.XYs {
	pts := make(plotter.XYs, len(x))
	for i := range x {
		pts[i] = plotter.XY{X: x[i], Y: y[i]}
	}
	return pts
}

func dashed(p *plot.Plot, name string, pts plotter.XYs) error {
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.Color = color.Gray{Y: 128}
	l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

// WriteCurves draws ROC and PR curves of the CV results (the paper's Fig. 1) with the random-guess lines.
func WriteCurves(dir string, y []float64, results []*CVResult) error {
	roc := plot.New()
	roc.Title.Text = "ROC, out-of-fold (positive = false-positive component)"
	roc.X.Label.Text, roc.Y.Label.Text = "false positive rate", "true positive rate"
	pr := plot.New()
	pr.Title.Text = "Precision-recall, out-of-fold"
	pr.X.Label.Text, pr.Y.Label.Text = "recall", "precision"
	for i, r := range results {
		ys, ps := finished(y, r.Prob)
		fpr, tpr := ROC(ys, ps)
		rc, pc := PR(ys, ps)
		name := fmt.Sprintf("%s (%s) AUROC %.4f", r.Model, r.CV, r.AUROC)
		if err := addLine(roc, name, xys(fpr, tpr), i); err != nil {
			return err
		}
		name = fmt.Sprintf("%s (%s) AP %.4f", r.Model, r.CV, r.AUPRC)
		if err := addLine(pr, name, xys(rc, pc), i); err != nil {
			return err
		}
	}
	if err := dashed(roc, "random guess", plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}); err != nil {
		return err
	}
	prev := 0.0
	for _, v := range y {
		prev += v
	}
	prev /= float64(len(y))
	if err := dashed(pr, "random guess", plotter.XYs{{X: 0, Y: prev}, {X: 1, Y: prev}}); err != nil {
		return err
	}
	roc.Legend.Top, roc.Legend.Left = false, false
	roc.Legend.XOffs, roc.Legend.YOffs = -vg.Points(5), vg.Points(10)
	pr.Legend.Left = true
	pr.Legend.Top = false
	pr.Y.Min = 0
	if err := roc.Save(plotWidth, plotWidth, filepath.Join(dir, PlotROC)); err != nil {
		return err
	}
	return pr.Save(plotWidth, plotWidth, filepath.Join(dir, PlotPR))
}

func addLine(p *plot.Plot, name string, pts plotter.XYs, i int) error {
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

// WriteLARSPlot draws the coefficient paths against the LARS step (the paper's Fig. 3); the first
// entries are named in the legend.
func WriteLARSPlot(dir string, names []string, res *LARSResult, named int) error {
	p := plot.New()
	p.Title.Text = "LARS path on the standardized metrics (target iou0)"
	p.X.Label.Text, p.Y.Label.Text = "step (metrics in the model)", "coefficient"
	for k, j := range res.Order {
		pts := make(plotter.XYs, len(res.Coefs))
		for s, c := range res.Coefs {
			pts[s] = plotter.XY{X: float64(s), Y: c[j]}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.Color = plotutil.Color(k)
		if k < named {
			l.Width = vg.Points(1.5)
			p.Legend.Add(fmt.Sprintf("%d. %s", k+1, names[j]), l)
		} else {
			l.Width = vg.Points(0.5)
		}
		p.Add(l)
	}
	p.Legend.Left, p.Legend.Top = true, true
	return p.Save(1.5*plotWidth, plotWidth, filepath.Join(dir, PlotLARS))
}

// WriteAlg1Plot draws AUROC and AUPRC against the number of LARS-ranked metrics (the paper's Fig. 4).
func WriteAlg1Plot(dir string, pts []Alg1Point) error {
	p := plot.New()
	p.Title.Text = "Algorithm 1: top-N metrics by LARS order"
	p.X.Label.Text, p.Y.Label.Text = "number of metrics N", "AUROC / AUPRC (out-of-fold)"
	series := map[string]plotter.XYs{}
	var keys []string
	for _, pt := range pts {
		for _, r := range pt.Results {
			for _, m := range []struct {
				what string
				v    float64
			}{{"AUROC", r.AUROC}, {"AUPRC", r.AUPRC}} {
				k := r.Model + " " + m.what
				if _, ok := series[k]; !ok {
					keys = append(keys, k)
				}
				series[k] = append(series[k], plotter.XY{X: float64(pt.N), Y: m.v})
			}
		}
	}
	for i, k := range keys {
		l, s, err := plotter.NewLinePoints(series[k])
		if err != nil {
			return err
		}
		l.Color, s.Color = plotutil.Color(i), plotutil.Color(i)
		s.Shape = plotutil.Shape(i)
		p.Add(l, s)
		p.Legend.Add(k, l, s)
	}
	p.Legend.Top = false
	return p.Save(1.5*plotWidth, plotWidth, filepath.Join(dir, PlotAlg1))
}

// finished returns the labels and scores of rows whose fold finished.
func finished(y, prob []float64) ([]float64, []float64) {
	var ys, ps []float64
	for i, p := range prob {
		if p == p { // not NaN
			ys = append(ys, y[i])
			ps = append(ps, p)
		}
	}
	return ys, ps
}
