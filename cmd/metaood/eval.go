package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/metaood/metaood/calib"
	"github.com/metaood/metaood/infer"
	"github.com/metaood/metaood/internal/app"
	"github.com/metaood/metaood/internal/progress"
	"github.com/metaood/metaood/metaclf"
	"github.com/metaood/metaood/oodeval"
	"github.com/metaood/metaood/postproc"
	"github.com/metaood/metaood/segmodel"
)

// evalFlags are the settings of `metaood eval`.
type evalFlags struct {
	data        []string
	known       []string // --known specs
	out         string
	sm          *segModel
	classifier  string
	clfThr      float64
	threshold   float64
	ood, ignore string
	filter      oodeval.SizeFilter
	limit       int
	overlays    bool
}

func (f *evalFlags) bind(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.data, "data", nil, "dataset folder, repeatable: DIR/images/NAME.png|jpg and DIR/labels/NAME.png (0 known, 1 anomaly, 255 void)")
	fs.StringArrayVar(&f.known, "known", nil, "known-class check, repeatable: "+knownSyntax+": mIoU, pixel accuracy and IoU per class of the argmax over the map's channels (--classes) against train-id label PNGs (0…C−1, 255 ignore); images without a label file are skipped")
	fs.StringVar(&f.out, "out", "", "output folder: eval.json, eval.md, roc.png, pr.png, overlays/<dataset>/<frame>.png")
	f.sm = addSegModelFlags(fs, "segmentation model .onnx (default: the built-in tiny model)", "probs")
	fs.StringVar(&f.classifier, "classifier", "", "meta classifier JSON (default: NAME.metaclf.json beside --model NAME.onnx if it exists, else the built-in one, made for the built-in model)")
	fs.Float64Var(&f.clfThr, "classifier-threshold", 0, "remove a component when its P(false positive) exceeds this (0 = the classifier file's, usually 0.5)")
	fs.Float64Var(&f.threshold, "threshold", postproc.DefaultThreshold, "normalized-entropy threshold of the anomaly mask")
	fs.StringVar(&f.ood, "ood-labels", "", "Cityscapes-style labels: the values that mark anomalies, e.g. 2 for LostAndFound train ids (others known, --ignore-labels void)")
	fs.StringVar(&f.ignore, "ignore-labels", "255", "with --ood-labels: label values to ignore (void)")
	fs.IntVar(&f.filter.SegSize, "segsize", 0, "component metrics: drop predicted components under this many map pixels (SMIYC: 500 anomaly track, 50 obstacle track, at full resolution)")
	fs.IntVar(&f.filter.InstSize, "instsize", 0, "component metrics and instance recall: turn GT instances under this many map pixels into void (SMIYC: 100 / 10 at full resolution)")
	fs.IntVar(&f.limit, "limit", 0, "evaluate only the first N frames (name order) of each dataset (0 = all)")
	fs.BoolVar(&f.overlays, "overlays", true, "write an overlay picture per frame")
}

// check validates the flags that need no file; fs tells which were given.
func (f *evalFlags) check(fs *pflag.FlagSet) error {
	switch {
	case len(f.data) == 0 && len(f.known) == 0:
		return fmt.Errorf("%w: --data DIR or --known %s is required (--data: a folder with images/ and labels/; both repeatable)", errUsage, knownSyntax)
	case f.out == "":
		return fmt.Errorf("%w: --out DIR is required (where eval.json, eval.md and the plots go)", errUsage)
	case !(f.threshold > 0 && f.threshold <= 1):
		return fmt.Errorf("%w: --threshold %v: use a value in (0, 1]", errUsage, f.threshold)
	case !(f.clfThr >= 0 && f.clfThr <= 1):
		return fmt.Errorf("%w: --classifier-threshold %v: use a value in (0, 1], or 0 for the classifier's own", errUsage, f.clfThr)
	case f.filter.SegSize < 0 || f.filter.InstSize < 0 || f.limit < 0:
		return fmt.Errorf("%w: --segsize, --instsize and --limit must be ≥ 0", errUsage)
	case f.ood == "" && fs.Changed("ignore-labels"):
		return fmt.Errorf("%w: --ignore-labels is used with --ood-labels", errUsage)
	}
	return nil
}

// labelMap returns the --ood-labels / --ignore-labels mapping, nil for 0/1/255 labels.
func (f *evalFlags) labelMap() (*calib.LabelMap, error) {
	if f.ood == "" {
		return nil, nil
	}
	o, err := parseLabels("ood-labels", f.ood)
	if err != nil {
		return nil, err
	}
	i, err := parseLabels("ignore-labels", f.ignore)
	if err != nil {
		return nil, err
	}
	return &calib.LabelMap{OOD: o, Ignore: i}, nil
}

// evalSet is one --data folder to evaluate.
type evalSet struct {
	name, dir string
	items     []oodeval.Item
}

// cmdEval evaluates anomaly detection on labelled frames: pixel AUROC/AP/FPR95, SMIYC component
// metrics before and after the meta classifier, instances touched and false alarms.
func cmdEval(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("eval", pflag.ContinueOnError)
	var f evalFlags
	f.bind(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `Usage: metaood eval --data DIR [--data DIR2 …] [--known images=DIR,labels=DIR …] --out OUT [--model M.onnx --classes 19] [flags]

Runs every image of each dataset folder through the model, post-processing and meta classifier and
compares with the labels (SegmentMeIfYouCan layout: DIR/images/NAME.png|jpg, DIR/labels/NAME.png with
0 known, 1 anomaly, 255 void; Cityscapes-style labels with --ood-labels). Measures are computed at the
class-map size (labels resized by nearest neighbour): pixel AUROC, AP and FPR at 95 % TPR (exact),
SMIYC component metrics (sIoU, PPV, F1) of the entropy mask and of the kept components, GT instances
touched, false components per frame. Writes OUT/eval.json, eval.md, roc.png, pr.png and
overlays/<dataset>/<frame>.png; Ctrl-C writes the frames done so far.

--known checks that the known classes did not get worse (e.g. after fine-tuning for anomalies): for each
folder it reports the mIoU, pixel accuracy and IoU per class of the argmax over the map's C channels
(--classes) against train-id labels (0…C−1, 255 ignored), from the confusion matrix summed over the
folder's frames at map size; classes absent from both labels and predictions are left out of the mean.
Only images with a label file are used; --data may then be left out. Cityscapes and KITTI:
  --known name=cityscapes,images=CS/images,labels=CS/labels_trainId,suffix=_leftImg8bit.jpg,pattern={name}_gtFine_labelTrainIds.png
  --known name=kitti,images=KITTI/training/image_2,labels=KITTI/training/semantic_trainId_resized

Flags:`)
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if err := f.check(fs); err != nil {
		return err
	}
	lm, err := f.labelMap()
	if err != nil {
		return err
	}
	sets, err := readEvalSets(f.data, f.limit, lm)
	if err != nil {
		return err
	}
	known, err := readKnownSets(f.known, f.limit, f.sm.Classes)
	if err != nil {
		return err
	}
	clfPath := f.classifier
	if clfPath == "" && f.sm.Path != "" { // as run does: NAME.metaclf.json beside NAME.onnx
		if p := app.ClassifierBeside(f.sm.Path); statOK(p) {
			clfPath = p
		}
	}
	clf, clfInfo, err := loadEvalClassifier(clfPath, f.clfThr)
	if err != nil {
		return err
	}
	minfo, err := modelInfo(f.sm)
	if err != nil {
		return err
	}
	eng, err := f.sm.open()
	if err != nil {
		return err
	}
	defer eng.Close()
	if c := eng.Classes(); c > 0 && len(sets) > 0 { // the classifier is not used on --known folders
		if err := checkEvalClassifier(clf, clfInfo.Path, c); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", f.out, err)
	}
	r := &oodeval.Report{Version: versionString(), Created: time.Now().UTC().Format(time.RFC3339), Model: minfo, Classifier: clfInfo,
		Threshold: f.threshold, Filter: f.filter}
	if lm != nil {
		r.OODLabels, r.Ignore = ints(lm.OOD), ints(lm.Ignore)
	}
	ev := evaluator{f: &f, eng: eng, clf: clf, clfInfo: clfInfo, lm: lm,
		proc: postproc.New(postproc.Options{Threshold: float32(f.threshold), OODLabel: oodeval.Anomaly, IgnoreLabel: oodeval.Void})}
	runErr := ev.run(ctx, sets, known, r)
	return finishEval(f.out, r, ev.done, f.overlays, runErr)
}

// finishEval writes the report of the frames done (unless none) and prints the summary.
func finishEval(out string, r *oodeval.Report, done int, overlays bool, runErr error) error {
	if runErr != nil && done == 0 {
		if errors.Is(runErr, oodeval.ErrInterrupted) {
			return fmt.Errorf("%w before the first frame finished: nothing written to %s", oodeval.ErrInterrupted, out)
		}
		return runErr
	}
	r.Interrupted = runErr != nil
	r.MapSize = ""
	sizes := make([]string, 0, len(r.Datasets)+len(r.Known))
	for _, d := range r.Datasets {
		sizes = append(sizes, d.MapSize)
	}
	for _, k := range r.Known {
		sizes = append(sizes, k.MapSize)
	}
	for _, s := range sizes {
		switch {
		case s == "":
		case r.MapSize == "":
			r.MapSize = s
		case r.MapSize != s:
			r.MapSize = "mixed"
		}
	}
	if err := r.WriteFiles(out); err != nil {
		return errors.Join(runErr, fmt.Errorf("--out: %w", err))
	}
	fmt.Println()
	r.Summary(os.Stdout)
	fmt.Printf("\n%s, %s", filepath.Join(out, oodeval.FileJSON), oodeval.FileMarkdown)
	if len(r.Datasets) > 0 {
		fmt.Printf(", %s, %s", oodeval.FileROC, oodeval.FilePR)
		if overlays {
			fmt.Printf(", %s/", oodeval.OverlaysDir)
		}
	}
	fmt.Println()
	if runErr != nil {
		return fmt.Errorf("%w (%s covers the %d frames done)", runErr, filepath.Join(out, oodeval.FileJSON), done)
	}
	return nil
}

func ints(v []uint8) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// readEvalSets lists each --data folder and checks every label file (values, size against its
// image) before any inference, so a bad file stops the run at once with its name.
func readEvalSets(dirs []string, limit int, lm *calib.LabelMap) ([]evalSet, error) {
	var sets []evalSet
	seen := map[string]int{}
	for _, dir := range dirs {
		items, err := oodeval.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("--data %s: %w", dir, err)
		}
		if limit > 0 && len(items) > limit {
			items = items[:limit]
		}
		for _, it := range items {
			if err := checkItem(it, lm); err != nil {
				return nil, err
			}
		}
		name := filepath.Base(dir)
		if abs, err := filepath.Abs(dir); err == nil {
			name = filepath.Base(abs) // "." → the folder's name
		}
		if seen[name]++; seen[name] > 1 {
			name += "-" + strconv.Itoa(seen[name])
		}
		sets = append(sets, evalSet{name: name, dir: dir, items: items})
	}
	return sets, nil
}

// checkItem reads an item's labels and its image's header.
func checkItem(it oodeval.Item, lm *calib.LabelMap) error {
	_, lw, lh, err := oodeval.ReadLabels(it.Label, lm)
	if err != nil {
		return err
	}
	iw, ih, err := imageSize(it.Image)
	if err != nil {
		return err
	}
	return oodeval.CheckSize(it, lw, lh, iw, ih)
}

// imageSize reads an image file's header.
func imageSize(path string) (w, h int, err error) {
	fh, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %v", oodeval.ErrImage, err)
	}
	defer fh.Close()
	cfg, _, err := image.DecodeConfig(fh)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: image %s: %v (want a PNG or JPEG file)", oodeval.ErrImage, path, err)
	}
	return cfg.Width, cfg.Height, nil
}

// loadEvalClassifier loads --classifier (default: the built-in one) with its decision threshold.
func loadEvalClassifier(path string, thr float64) (*metaclf.Model, oodeval.ClassifierInfo, error) {
	m, name := metaclf.Default(), "built-in"
	if path != "" {
		var err error
		if m, err = metaclf.Load(path); err != nil {
			return nil, oodeval.ClassifierInfo{}, err
		}
		name = path
	}
	if thr == 0 {
		thr = m.Threshold()
	}
	return m, oodeval.ClassifierInfo{Path: name, Kind: m.Kind(), Threshold: thr}, nil
}

// checkEvalClassifier checks the classifier's features against the metrics of a classes-class map.
func checkEvalClassifier(m *metaclf.Model, name string, classes int) error {
	if err := m.Check(postproc.MetricNames(classes)); err != nil {
		return fmt.Errorf("meta classifier %s does not fit a %d-class model: %w (train one with 'metaood calib train', or pass --classes)", name, classes, err)
	}
	return nil
}

// modelInfo describes the model for the report, with the sha256 of its file.
func modelInfo(sm *segModel) (oodeval.ModelInfo, error) {
	data := segmodel.Tiny()
	if sm.Path != "" {
		var err error
		if data, err = infer.LoadModel(sm.Path); err != nil {
			return oodeval.ModelInfo{}, err
		}
	}
	sum := sha256.Sum256(data)
	return oodeval.ModelInfo{Path: sm.name(), SHA256: hex.EncodeToString(sum[:]), Preset: sm.Preset, Classes: sm.Classes,
		InputSize: sm.InputSize, Probs: sm.Probs}, nil
}

// evaluator runs the frames of the datasets through the model, postproc and the meta classifier.
type evaluator struct {
	f       *evalFlags
	eng     *infer.Engine
	proc    *postproc.Processor
	clf     *metaclf.Model
	clfInfo oodeval.ClassifierInfo
	lm      *calib.LabelMap
	checked bool // the classifier's features were checked against the maps' classes
	done    int  // frames evaluated, all datasets
	bar     *progress.Line
}

// run evaluates the datasets in turn, appending each one's result to r (also when it stops early:
// the result then covers the frames done). It returns ErrInterrupted when ctx ends.
func (ev *evaluator) run(ctx context.Context, sets []evalSet, known []knownSet, r *oodeval.Report) error {
	total := 0
	for _, s := range sets {
		total += len(s.items)
	}
	for _, k := range known {
		total += len(k.pairs)
	}
	ev.bar = progress.New(os.Stderr, total)
	for _, s := range sets {
		e := oodeval.NewEvaluator(ev.f.filter)
		err := ev.runSet(ctx, s, e, total)
		r.Datasets = append(r.Datasets, e.Result(s.name, s.dir, len(s.items)))
		if err != nil {
			return err
		}
	}
	for _, k := range known {
		e := oodeval.NewKnownEvaluator()
		err := ev.runKnown(ctx, k, e, total)
		r.Known = append(r.Known, e.Result(k.name, k.images, k.labels, len(k.pairs)))
		if err != nil {
			return err
		}
	}
	ev.bar.Done("")
	return nil
}

func (ev *evaluator) runSet(ctx context.Context, s evalSet, e *oodeval.Evaluator, total int) error {
	odir := filepath.Join(ev.f.out, oodeval.OverlaysDir, s.name)
	if ev.f.overlays {
		if err := os.MkdirAll(odir, 0o755); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	for _, it := range s.items {
		if ctx.Err() != nil {
			ev.bar.Done("")
			return fmt.Errorf("%w after %d of %d frames", oodeval.ErrInterrupted, ev.done, total)
		}
		ev.bar.Update(ev.done, fmt.Sprintf("%d/%d frames (%s/%s)", ev.done, total, s.name, it.Name))
		if err := ev.frame(it, e, odir); err != nil {
			ev.bar.Done("")
			return err
		}
		ev.done++
	}
	ev.bar.Update(ev.done, fmt.Sprintf("%d/%d frames (%s done)", ev.done, total, s.name))
	return nil
}

// frame evaluates one image: model, postproc with the labels, meta classifier, measures, overlay.
func (ev *evaluator) frame(it oodeval.Item, e *oodeval.Evaluator, odir string) error {
	fr, err := readImageFrame(it.Image)
	if err != nil {
		return fmt.Errorf("%w: %v", oodeval.ErrImage, err)
	}
	labels, lw, lh, err := oodeval.ReadLabels(it.Label, ev.lm)
	if err != nil {
		return err
	}
	if err := oodeval.CheckSize(it, lw, lh, fr.W, fr.H); err != nil {
		return err
	}
	in, err := segment(ev.eng, fr, ev.f.sm.Probs, labels)
	if err != nil {
		return fmt.Errorf("%s through %s: %w", it.Image, ev.f.sm.name(), err)
	}
	if !ev.checked {
		if err := checkEvalClassifier(ev.clf, ev.clfInfo.Path, in.C); err != nil {
			return err
		}
		ev.checked = true
	}
	res, err := ev.proc.Process(in)
	if err != nil {
		return fmt.Errorf("%s: %w", it.Image, err)
	}
	defer res.Release()
	n := len(res.Components)
	pfp := make([]float64, n)
	if n > 0 {
		ev.clf.PredictBatch(res.Metrics, n, pfp)
	}
	kept := make([]bool, n)
	for i, p := range pfp {
		kept[i] = !(p > ev.clfInfo.Threshold)
	}
	fin := oodeval.FrameInput{Name: it.Name, W: in.W, H: in.H, Score: res.Entropy, Labels: in.GT, Threshold: float32(ev.f.threshold),
		Components: res.Labels, Kept: kept}
	if _, err := e.Add(fin); err != nil {
		return err
	}
	if !ev.f.overlays {
		return nil
	}
	img := oodeval.ResizeBGR(fr.Pix, fr.W, fr.H, in.W, in.H)
	if err := oodeval.WriteOverlay(filepath.Join(odir, it.Name+".png"), img, fin); err != nil {
		return fmt.Errorf("overlay: %w", err)
	}
	return nil
}

// knownSyntax is the form of a --known value.
const knownSyntax = "images=DIR,labels=DIR[,pattern={name}.png][,suffix=.png][,name=N]"

// knownSet is one --known folder: labelled images (train ids) for the known-class check.
type knownSet struct {
	name, images, labels string
	pairs                []calib.ImagePair // Image, GT (label PNG), Name: the frame id
}

// parseKnownSpec reads images=DIR,labels=DIR[,pattern=P][,suffix=S][,name=N] (no commas in the
// values). The label of image IMAGES/…/NAME+suffix is LABELS/…/pattern with {name} → NAME, as
// `calib dataset`'s --image-suffix and --gt-pattern say; pattern must start with {name} and end in
// .png (default {name}.png), suffix defaults to .png.
func parseKnownSpec(s string) (ks knownSet, pattern, suffix string, err error) {
	bad := func(why string) (knownSet, string, string, error) {
		return knownSet{}, "", "", fmt.Errorf("%w: --known %q: %s (want %s)", errUsage, s, why, knownSyntax)
	}
	pattern, suffix = "{name}.png", ".png"
	seen := map[string]bool{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || seen[k] || v == "" {
			return bad(fmt.Sprintf("%q is not a new key=value", kv))
		}
		seen[k] = true
		switch k {
		case "images":
			ks.images = v
		case "labels":
			ks.labels = v
		case "pattern":
			pattern = v
		case "suffix":
			suffix = v
		case "name":
			ks.name = v
		default:
			return bad(fmt.Sprintf("unknown key %q", k))
		}
	}
	tail, ok := strings.CutPrefix(pattern, "{name}")
	switch {
	case ks.images == "" || ks.labels == "":
		return bad("images= and labels= are required")
	case !ok || strings.Contains(tail, "{name}") || strings.Contains(tail, "/") || !strings.EqualFold(filepath.Ext(tail), ".png"):
		return bad(fmt.Sprintf("pattern=%s: want {name} then the rest of a label PNG's file name, e.g. {name}_gtFine_labelTrainIds.png", pattern))
	case strings.Contains(suffix, "{name}") || strings.Contains(suffix, "/"):
		return bad(fmt.Sprintf("suffix=%s: want the end of an image's file name after NAME, e.g. _leftImg8bit.jpg or .png", suffix))
	}
	return ks, pattern, suffix, nil
}

// knownPairs pairs the labelled images of a --known folder with calib.ImageGTPairs (the pairing of
// `calib dataset --images --gt-dir`) run from the labels' side: it walks the labels folder (files
// named NAME+the pattern's tail after {name}, subfolders too) and looks for each one's image at the
// same relative path below the images folder, NAME+suffix. So an image without a label file is
// skipped (Cityscapes folders hold unlabelled frames) while a label without its image is an error.
func knownPairs(ks knownSet, pattern, suffix string) ([]calib.ImagePair, error) {
	for _, d := range []struct{ key, dir string }{{"images", ks.images}, {"labels", ks.labels}} {
		if st, err := os.Stat(d.dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("%w: --known %s=%s is not a folder", oodeval.ErrLayout, d.key, d.dir)
		}
	}
	tail := strings.TrimPrefix(pattern, "{name}")
	pairs, err := calib.ImageGTPairs(ks.labels, tail, ks.images, "{name}"+suffix)
	if err != nil {
		// calib's words are from the images' side: its "label image" is the image looked for here.
		return nil, fmt.Errorf("--known images=%s,labels=%s: cannot pair the labelled images: label files LABELS/…/NAME%s are paired with images IMAGES/…/NAME%s, walking the labels (calib's \"label image\" below is the image): %w",
			ks.images, ks.labels, tail, suffix, err)
	}
	for i := range pairs {
		pairs[i].Image, pairs[i].GT = pairs[i].GT, pairs[i].Image
	}
	return pairs, nil
}

// readKnownSets pairs each --known folder and checks every label file (values against --classes
// when given, size against its image) before any inference.
func readKnownSets(specs []string, limit, classes int) ([]knownSet, error) {
	var sets []knownSet
	seen := map[string]int{}
	for _, spec := range specs {
		ks, pattern, suffix, err := parseKnownSpec(spec)
		if err != nil {
			return nil, err
		}
		if ks.pairs, err = knownPairs(ks, pattern, suffix); err != nil {
			return nil, err
		}
		if limit > 0 && len(ks.pairs) > limit {
			ks.pairs = ks.pairs[:limit]
		}
		for _, p := range ks.pairs {
			_, lw, lh, err := oodeval.ReadTrainIDs(p.GT, classes)
			if err != nil {
				return nil, err
			}
			iw, ih, err := imageSize(p.Image)
			if err != nil {
				return nil, err
			}
			if err := oodeval.CheckSize(oodeval.Item{Name: p.Name, Image: p.Image, Label: p.GT}, lw, lh, iw, ih); err != nil {
				return nil, err
			}
		}
		if ks.name == "" {
			ks.name = filepath.Base(ks.images)
			if abs, err := filepath.Abs(ks.images); err == nil {
				ks.name = filepath.Base(abs)
			}
		}
		if seen[ks.name]++; seen[ks.name] > 1 {
			ks.name += "-" + strconv.Itoa(seen[ks.name])
		}
		sets = append(sets, ks)
	}
	return sets, nil
}

func (ev *evaluator) runKnown(ctx context.Context, k knownSet, e *oodeval.KnownEvaluator, total int) error {
	for _, p := range k.pairs {
		if ctx.Err() != nil {
			ev.bar.Done("")
			return fmt.Errorf("%w after %d of %d frames", oodeval.ErrInterrupted, ev.done, total)
		}
		ev.bar.Update(ev.done, fmt.Sprintf("%d/%d frames (known %s/%s)", ev.done, total, k.name, p.Name))
		if err := ev.knownFrame(p, e); err != nil {
			ev.bar.Done("")
			return err
		}
		ev.done++
	}
	ev.bar.Update(ev.done, fmt.Sprintf("%d/%d frames (known %s done)", ev.done, total, k.name))
	return nil
}

// knownFrame scores one labelled image of a --known folder: the model's map, the labels resized to
// it by nearest neighbour (as for --data), the argmax over its channels against them.
func (ev *evaluator) knownFrame(p calib.ImagePair, e *oodeval.KnownEvaluator) error {
	fr, err := readImageFrame(p.Image)
	if err != nil {
		return fmt.Errorf("%w: %v", oodeval.ErrImage, err)
	}
	labels, lw, lh, err := oodeval.ReadTrainIDs(p.GT, ev.f.sm.Classes)
	if err != nil {
		return err
	}
	if err := oodeval.CheckSize(oodeval.Item{Name: p.Name, Image: p.Image, Label: p.GT}, lw, lh, fr.W, fr.H); err != nil {
		return err
	}
	in, err := segment(ev.eng, fr, ev.f.sm.Probs, labels)
	if err != nil {
		return fmt.Errorf("%s through %s: %w", p.Image, ev.f.sm.name(), err)
	}
	if err := e.Add(p.Name, in.Data, in.C, in.W, in.H, in.GT); err != nil {
		return fmt.Errorf("label %s: %w", p.GT, err)
	}
	return nil
}

// statOK reports whether path exists.
func statOK(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
