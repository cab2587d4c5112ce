package calib

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/metaood/metaood/internal/progress"
)

// Report is what `metaood calib report` writes as report.json (and renders as report.md and plots).
type Report struct {
	Dataset        string      `json:"dataset"`
	NComponents    int         `json:"n_components"`
	NImages        int         `json:"n_images,omitempty"`
	NFalsePositive int         `json:"n_false_positive"`
	NTruePositive  int         `json:"n_true_positive"`
	Complete       bool        `json:"complete"` // false when interrupted: the sections hold finished work
	Created        string      `json:"created"`
	CV             []*CVResult `json:"cv"`
	LARS           *LARSReport `json:"lars,omitempty"`
	Alg1           []Alg1Point `json:"algorithm1,omitempty"`
}

// LARSReport is the LARS entry order with the coefficient path, by name.
type LARSReport struct {
	Order   []string    `json:"order"`
	Dropped []string    `json:"dropped_collinear,omitempty"` // tied for entry but linearly dependent
	Ranking []string    `json:"ranking"`                     // order, dropped, then the rest: Algorithm 1's order
	Alphas  []float64   `json:"alphas"`
	Coefs   [][]float64 `json:"coefs"` // per step, in dataset feature order
}

// NewLARSReport names the features of a LARS result.
func NewLARSReport(names []string, lr *LARSResult) *LARSReport {
	r := &LARSReport{Alphas: lr.Alphas, Coefs: lr.Coefs}
	for _, j := range lr.Order {
		r.Order = append(r.Order, names[j])
	}
	for _, j := range lr.Dropped {
		r.Dropped = append(r.Dropped, names[j])
	}
	for _, j := range lr.Ranking(len(names)) {
		r.Ranking = append(r.Ranking, names[j])
	}
	return r
}

// ReportOptions configure BuildReport.
type ReportOptions struct {
	Models []string // default lr, mlp
	CV     []CVSpec // default images:5 (honest); add loo for the paper's protocol
	Base   CVOptions
	Alg1   []int     // N values for Algorithm 1; nil = skip it
	Alg1CV *CVSpec   // protocol for Algorithm 1; nil: images:5, or loo without an image column
	Log    io.Writer // progress lines; nil = quiet
	Source string
}

// BuildReport runs cross-validation of each model under each protocol, LARS, and Algorithm 1.
// When ctx ends it returns what finished, with Complete = false and ErrInterrupted.
func BuildReport(ctx context.Context, d *Dataset, o ReportOptions) (*Report, error) {
	if o.Models == nil {
		o.Models = []string{ModelLR, ModelMLP}
	}
	if o.CV == nil {
		o.CV = []CVSpec{{K: 5}}
	}
	alg1CV := CVSpec{LOO: true}
	switch {
	case o.Alg1CV != nil:
		alg1CV = *o.Alg1CV // CVSpec{} is leave-one-image-out: nil, not the zero value, means "default"
	case d.Image != nil:
		alg1CV = CVSpec{K: 5}
	}
	logf := func(format string, a ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", a...)
		}
	}
	r := &Report{Dataset: o.Source, NComponents: d.N(), NFalsePositive: d.CountFP(), NTruePositive: d.N() - d.CountFP(),
		Created: time.Now().UTC().Format(time.RFC3339)}
	if _, ng, err := d.Groups(); err == nil {
		r.NImages = ng
	}
	for _, spec := range o.CV {
		for _, m := range o.Models {
			opt := o.Base
			opt.Model, opt.CV = m, spec
			opt.Progress = progressLine(o.Log, m+" "+spec.String())
			res, err := CrossValidate(ctx, d, opt)
			if res != nil {
				r.CV = append(r.CV, res)
				logf("%s %s: AUROC %.4f AUPRC %.4f accuracy %.4f (%d folds, %.1fs)", m, spec, res.AUROC, res.AUPRC, res.Accuracy, res.FoldsDone, res.Seconds)
			}
			if err != nil {
				return r, err
			}
		}
	}
	lr, err := LARSOrder(d)
	if err != nil {
		return r, err
	}
	r.LARS = NewLARSReport(d.Names, lr)
	logf("LARS order: %s", strings.Join(r.LARS.Order, ", "))
	if len(o.Alg1) > 0 {
		opt := o.Base
		opt.CV = alg1CV
		pts, err := Algorithm1(ctx, d, lr.Ranking(d.P()), o.Alg1, o.Models, opt, func(n int, res *CVResult) {
			logf("algorithm 1: N = %d %s: AUROC %.4f AUPRC %.4f", n, res.Model, res.AUROC, res.AUPRC)
		})
		r.Alg1 = pts
		if err != nil {
			return r, err
		}
	}
	r.Complete = true
	return r, nil
}

// progressLine returns a Progress callback for the folds of one model (a line redrawn on a
// terminal, about one line per tenth elsewhere).
func progressLine(w io.Writer, what string) func(done, total int) {
	if w == nil {
		return nil
	}
	start := time.Now()
	bar := progress.New(w, 0)
	return func(done, total int) {
		bar.SetTotal(total)
		el := time.Since(start).Seconds()
		bar.Update(done, fmt.Sprintf("%s: %d/%d folds, %.0fs elapsed, ~%.0fs left", what, done, total, el, el/float64(max(done, 1))*float64(total-done)))
		if done == total {
			bar.Done("")
		}
	}
}

// WriteFiles writes report.json, report.md and the PNG plots into dir.
func (r *Report) WriteFiles(dir string, d *Dataset) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report folder %s: %w", dir, err)
	}
	if err := WriteJSONFile(filepath.Join(dir, "report.json"), r); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(r.Markdown()), 0o644); err != nil {
		return err
	}
	if len(r.CV) > 0 {
		if err := WriteCurves(dir, d.Y, r.CV); err != nil {
			return fmt.Errorf("plots: %w", err)
		}
	}
	if r.LARS != nil {
		lr := &LARSResult{Coefs: r.LARS.Coefs}
		idx := map[string]int{}
		for j, n := range d.Names {
			idx[n] = j
		}
		for _, n := range r.LARS.Order {
			lr.Order = append(lr.Order, idx[n])
		}
		if err := WriteLARSPlot(dir, d.Names, lr, 10); err != nil {
			return fmt.Errorf("plots: %w", err)
		}
	}
	if len(r.Alg1) > 0 {
		if err := WriteAlg1Plot(dir, r.Alg1); err != nil {
			return fmt.Errorf("plots: %w", err)
		}
	}
	return nil
}

// WriteJSONFile writes v as indented JSON, mapping NaN to null (JSON has no NaN).
func WriteJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	var ue *json.UnsupportedValueError
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Markdown renders the report as a short human summary.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Meta classifier report\n\nDataset `%s`: %d components (%d false positives, %d true positives)", r.Dataset, r.NComponents, r.NFalsePositive, r.NTruePositive)
	if r.NImages > 0 {
		fmt.Fprintf(&b, " from %d images", r.NImages)
	}
	b.WriteString(".\n")
	if !r.Complete {
		b.WriteString("\n**Interrupted:** the figures below cover the finished folds only.\n")
	}
	b.WriteString("\n## Cross-validation (out-of-fold, positive class = false positive)\n\n")
	b.WriteString("| model | cv | z-score | AUROC | AUPRC | accuracy | FP before → after | TP before → after | TP removed | folds | s |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.CV {
		fmt.Fprintf(&b, "| %s | %s | %s | %.4f | %.4f | %.4f | %d → %d | %d → %d | %d | %d/%d | %.1f |\n", c.Model, c.CV, c.Standardize,
			c.AUROC, c.AUPRC, c.Accuracy, c.FPBefore, c.FPAfter, c.TPBefore, c.TPAfter, c.TPRemoved, c.FoldsDone, c.Folds, c.Seconds)
	}
	b.WriteString("\n`loo` with global z-scoring is the paper's protocol (docs/METHOD.md §5); `images…` with per-fold z-scoring keeps every image's components out of its own training folds.\n")
	b.WriteString("FP after = false positives kept (the reference's `fp_after` counts removed true positives instead, docs/METHOD.md §5).\n\n![ROC](roc.png) ![PR](pr.png)\n")
	if r.LARS != nil {
		n := min(15, len(r.LARS.Order))
		fmt.Fprintf(&b, "\n## LARS entry order\n\nFirst %d of %d: %s.\n", n, len(r.LARS.Order), strings.Join(r.LARS.Order[:n], ", "))
		if len(r.LARS.Dropped) > 0 {
			fmt.Fprintf(&b, "Dropped as linearly dependent on earlier entries: %s.\n", strings.Join(r.LARS.Dropped, ", "))
		}
		b.WriteString("\n![LARS](lars.png)\n")
	}
	if len(r.Alg1) > 0 {
		b.WriteString("\n## Algorithm 1 (top-N metrics by LARS order)\n\n| N | added |")
		for _, res := range r.Alg1[0].Results {
			fmt.Fprintf(&b, " %s AUROC | %s AUPRC |", res.Model, res.Model)
		}
		b.WriteString("\n|---|---|" + strings.Repeat("---|---|", len(r.Alg1[0].Results)) + "\n")
		for _, pt := range r.Alg1 {
			fmt.Fprintf(&b, "| %d | %s |", pt.N, pt.Added)
			for _, res := range pt.Results {
				fmt.Fprintf(&b, " %s | %s |", f4(res.AUROC), f4(res.AUPRC))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n![Algorithm 1](alg1.png)\n")
	}
	return b.String()
}

func f4(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.4f", v)
}
