package oodeval

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Output file names in the --out folder.
const (
	FileJSON     = "eval.json"
	FileMarkdown = "eval.md"
	FileROC      = "roc.png"
	FilePR       = "pr.png"
	OverlaysDir  = "overlays"
)

// ModelInfo names the segmentation model evaluated.
type ModelInfo struct {
	Path      string `json:"path"` // file, or "tiny.onnx (built in)"
	SHA256    string `json:"sha256"`
	Preset    string `json:"preset"`
	Classes   int    `json:"classes"`    // output channels kept; 0 = all
	InputSize string `json:"input_size"` // WxH the model ran at ("" = its own or the image's)
	Probs     bool   `json:"probs"`      // the model outputs probabilities
}

// ClassifierInfo names the meta classifier and its decision threshold.
type ClassifierInfo struct {
	Path      string  `json:"path"` // file, or "built-in"
	Kind      string  `json:"kind"` // lr | mlp
	Threshold float64 `json:"threshold"`
}

// Report is everything `metaood eval` writes: eval.json field for field.
type Report struct {
	Version     string           `json:"metaood_version"`
	Created     string           `json:"created"`
	Model       ModelInfo        `json:"model"`
	Classifier  ClassifierInfo   `json:"classifier"`
	Threshold   float64          `json:"threshold"` // entropy threshold of the mask
	MapSize     string           `json:"map_size"`  // WxH the metrics are computed at ("mixed" if frames differ)
	Filter      SizeFilter       `json:"size_filter"`
	OODLabels   []int            `json:"ood_labels,omitempty"`    // --ood-labels (Cityscapes-style labels)
	Ignore      []int            `json:"ignore_labels,omitempty"` // --ignore-labels with --ood-labels
	Interrupted bool             `json:"interrupted"`             // stopped early: datasets hold the frames done
	Datasets    []*DatasetResult `json:"datasets"`
	Known       []*KnownResult   `json:"known,omitempty"` // --known folders: known-class mIoU
}

// WriteFiles writes eval.json, eval.md, roc.png and pr.png (with Datasets only) into dir, each through a temporary file
// renamed into place, so a file is either whole or absent.
func (r *Report) WriteFiles(dir string) error {
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(filepath.Join(dir, FileJSON), append(b, '\n')); err != nil {
		return err
	}
	if err := WriteFileAtomic(filepath.Join(dir, FileMarkdown), []byte(r.Markdown())); err != nil {
		return err
	}
	if len(r.Datasets) == 0 {
		return nil // --known only: no anomaly curves
	}
	return writeCurves(dir, r.Datasets)
}

// WriteFileAtomic writes data to path through a temporary file in the same folder and a rename.
func WriteFileAtomic(path string, data []byte) error {
	return writeAtomic(path, func(w io.Writer) error { _, err := w.Write(data); return err })
}

func writeAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// f3 formats a measure with 3 decimals, "–" when undefined.
func f3(v Float) string {
	if b, _ := v.MarshalJSON(); string(b) == "null" {
		return "–"
	}
	return fmt.Sprintf("%.3f", float64(v))
}

// Summary writes the short table printed at the end of `metaood eval`.
func (r *Report) Summary(w io.Writer) {
	if len(r.Datasets) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "dataset\tframes\tAUROC\tAP\tFPR95\tinstances\thit mask\thit kept\tfalse/frame\tkept false/frame\tF1 before\tF1 after\t")
		for _, d := range r.Datasets {
			fmt.Fprintf(tw, "%s\t%d/%d\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\n", d.Name, d.Frames, d.FramesTotal,
				f3(d.Pixel.AUROC), f3(d.Pixel.AP), f3(d.Pixel.FPR95), d.Recall.Instances, d.Recall.HitMask, d.Recall.HitKept,
				f3(d.FalseAlarms.FalsePerFrame), f3(d.FalseAlarms.KeptFalsePerFrame), f3(d.Before.F1Mean), f3(d.After.F1Mean))
		}
		tw.Flush()
	}
	if len(r.Known) == 0 {
		return
	}
	if len(r.Datasets) > 0 {
		fmt.Fprintln(w)
	}
	// Known classes: one row per folder, the per-class IoU by train id ("–": class absent, left out of the mean).
	c := 0
	for _, k := range r.Known {
		c = max(c, len(k.PerClassIoU))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "known\tframes\tmIoU\tclasses\tpixel acc\t")
	for i := range c {
		fmt.Fprintf(tw, "%d\t", i)
	}
	fmt.Fprintln(tw)
	for _, k := range r.Known {
		fmt.Fprintf(tw, "%s\t%d/%d\t%s\t%d/%d\t%s\t", k.Name, k.Frames, k.FramesTotal, f3(k.MIoU), k.ClassesInMean, k.Classes, f3(k.PixelAccuracy))
		for i := range c {
			v := "–"
			if i < len(k.PerClassIoU) {
				v = f2(k.PerClassIoU[i])
			}
			fmt.Fprintf(tw, "%s\t", v)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintln(w, "(mIoU over the classes present in the folder's labels or predictions; per-class IoU by train id, – = absent)")
}

// f2 formats a measure with 2 decimals, "–" when undefined.
func f2(v Float) string {
	if b, _ := v.MarshalJSON(); string(b) == "null" {
		return "–"
	}
	return fmt.Sprintf("%.2f", float64(v))
}

// Markdown renders the report for a human: settings, three tables over the datasets, and the
// per-frame numbers.
func (r *Report) Markdown() string {
	var b strings.Builder
	b.WriteString("# Anomaly detection evaluation\n\n")
	if r.Interrupted {
		b.WriteString("**Interrupted**: the numbers cover the frames done only.\n\n")
	}
	fmt.Fprintf(&b, "Model `%s` (sha256 `%s`), meta classifier %s (%s, remove when P(FP) > %g), entropy threshold %g, "+
		"metrics at map size %s, size filters segsize %d / instsize %d px.\n\n",
		r.Model.Path, r.Model.SHA256, r.Classifier.Path, r.Classifier.Kind, r.Classifier.Threshold, r.Threshold, r.MapSize,
		r.Filter.SegSize, r.Filter.InstSize)
	if len(r.Datasets) > 0 {
		r.markdownAnomaly(&b)
		b.WriteString("\n" + overlayLegend + "\n")
	}
	if len(r.Known) > 0 {
		r.markdownKnown(&b)
	}
	return b.String()
}

// markdownAnomaly writes the anomaly detection tables of the --data datasets.
func (r *Report) markdownAnomaly(b *strings.Builder) {
	b.WriteString("## Pixel level (exact; ROI = labels 0 and 1)\n\n")
	b.WriteString("| dataset | frames | anomaly px | known px | AUROC | AP | FPR95 | best F1 (threshold) | reference 100 bins: AUROC / AP / FPR95 |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, d := range r.Datasets {
		fmt.Fprintf(b, "| %s | %d/%d | %d | %d | %s | %s | %s | %s (%s) | %s / %s / %s |\n", d.Name, d.Frames, d.FramesTotal,
			d.Pixel.Positives, d.Pixel.Negatives, f3(d.Pixel.AUROC), f3(d.Pixel.AP), f3(d.Pixel.FPR95),
			f3(d.Pixel.BestF1), f3(d.Pixel.BestF1Threshold), f3(d.PixelRef.AUROC), f3(d.PixelRef.AP), f3(d.PixelRef.FPR95))
	}
	b.WriteString("\n## Components (SegmentMeIfYouCan: sIoU per GT instance, PPV per predicted component)\n\n")
	b.WriteString("| dataset | components | GT instances | sIoU gt | PPV | F1 τ=0.25 | F1 τ=0.50 | F1 τ=0.75 | mean F1 |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, d := range r.Datasets {
		for _, s := range []struct {
			what string
			m    SegmentMetrics
		}{{"entropy mask", d.Before}, {"kept by meta classifier", d.After}} {
			fmt.Fprintf(b, "| %s, %s | %d | %d | %s | %s | %s | %s | %s | %s |\n", d.Name, s.what, s.m.Components, s.m.GTInstances,
				f3(s.m.SIoUGT), f3(s.m.PPV), f1At(s.m, 0), f1At(s.m, 5), f1At(s.m, 10), f3(s.m.F1Mean))
		}
	}
	b.WriteString("\n## Instances touched and false alarms\n\n")
	b.WriteString("| dataset | instances | hit by mask | hit by kept component | components | false | kept | kept false | false / frame | kept false / frame |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, d := range r.Datasets {
		fa := d.FalseAlarms
		fmt.Fprintf(b, "| %s | %d | %d (%s) | %d (%s) | %d | %d | %d | %d | %s | %s |\n", d.Name, d.Recall.Instances,
			d.Recall.HitMask, f3(d.Recall.HitMaskRate), d.Recall.HitKept, f3(d.Recall.HitKeptRate),
			fa.Components, fa.FalseComponents, fa.KeptComponents, fa.KeptFalseComponents, f3(fa.FalsePerFrame), f3(fa.KeptFalsePerFrame))
	}
	for _, d := range r.Datasets {
		fmt.Fprintf(b, "\n## Frames of %s\n\n", d.Name)
		b.WriteString("At TPR 95 %: at the dataset's FPR95 threshold, the frame's known pixels flagged (and their share of all the " +
			"dataset's flagged known pixels, the FPR95's numerator) and its anomaly pixels missed: the frames that decide FPR95.\n\n")
		b.WriteString("| frame | instances | hit mask | hit kept | components | false | kept | kept false | pixel AP | known flagged at TPR 95 % (share) | anomaly missed at TPR 95 % (share of the frame's) |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		flagged := 0
		for _, f := range d.PerFrame {
			flagged += f.KnownFlaggedAtTPR95
		}
		for _, f := range d.PerFrame {
			fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %d | %d | %d | %s | %d (%s) | %d (%s) |\n", f.Name, f.Instances, f.InstancesHitMask, f.InstancesHitKept,
				f.Components, f.FalseComponents, f.KeptComponents, f.KeptFalseComponents, f3(f.PixelAP),
				f.KnownFlaggedAtTPR95, f3(ratio(f.KnownFlaggedAtTPR95, flagged)), f.AnomalyMissedAtTPR95, f3(ratio(f.AnomalyMissedAtTPR95, f.AnomalyPixels)))
		}
	}
}

// markdownKnown writes the known-class tables of the --known folders.
func (r *Report) markdownKnown(b *strings.Builder) {
	b.WriteString("\n## Known classes (segmentation of the --known folders)\n\n")
	b.WriteString("Prediction = argmax over the map's C channels, at map size (labels resized by nearest neighbour); " +
		"confusion matrix summed over the folder's frames; IoU = TP / (TP + FP + FN); pixels labelled 255 are not scored. " +
		"mIoU is the mean over the classes present in the folder (in the labels or the predictions): a class absent from both " +
		"is left out (– below).\n\n")
	b.WriteString("| folder | images | labels | frames | map | scored px | mIoU | classes in mean | pixel accuracy |\n|---|---|---|---|---|---|---|---|---|\n")
	c := 0
	for _, k := range r.Known {
		fmt.Fprintf(b, "| %s | `%s` | `%s` | %d/%d | %s | %d | %s | %d/%d | %s |\n", k.Name, k.Dir, k.Labels, k.Frames, k.FramesTotal,
			k.MapSize, k.Pixels, f3(k.MIoU), k.ClassesInMean, k.Classes, f3(k.PixelAccuracy))
		c = max(c, len(k.PerClassIoU))
	}
	b.WriteString("\n### IoU per class\n\n| train id |")
	for _, k := range r.Known {
		fmt.Fprintf(b, " %s |", k.Name)
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(r.Known)) + "\n")
	for i := range c {
		name := strconv.Itoa(i)
		if c == len(CityscapesClasses) {
			name += " " + CityscapesClasses[i] // a 19-class map: Cityscapes train ids
		}
		fmt.Fprintf(b, "| %s |", name)
		for _, k := range r.Known {
			v := "–"
			if i < len(k.PerClassIoU) {
				v = f3(k.PerClassIoU[i])
			}
			fmt.Fprintf(b, " %s |", v)
		}
		b.WriteString("\n")
	}
	for _, k := range r.Known {
		fmt.Fprintf(b, "\n### Frames of %s\n\n| frame | scored px | mIoU (classes in the frame) | pixel accuracy |\n|---|---|---|---|\n", k.Name)
		for _, f := range k.PerFrame {
			fmt.Fprintf(b, "| %s | %d | %s | %s |\n", f.Name, f.Pixels, f3(f.MIoU), f3(f.PixelAccuracy))
		}
	}
}

func f1At(m SegmentMetrics, i int) string {
	if i >= len(m.PerTau) {
		return "–"
	}
	return f3(m.PerTau[i].F1)
}
