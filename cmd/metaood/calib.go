package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/metaood/metaood/calib"
	"github.com/metaood/metaood/config"
	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/infer"
	"github.com/metaood/metaood/internal/progress"
	"github.com/metaood/metaood/metaclf"
	"github.com/metaood/metaood/postproc"
	"github.com/metaood/metaood/segmodel"
	"github.com/metaood/metaood/synth"
)

// calibCommands are the subcommands of `metaood calib`.
var calibCommands = []command{
	{"dataset", "components dataset (CSV) from images, probability maps or synthetic drives + ground truth", calibDataset},
	{"train", "train a meta classifier (lr or mlp) on a dataset; writes the classifier JSON", calibTrain},
	{"cv", "cross-validate a classifier (loo = the paper's protocol, images[:K] = honest); writes a JSON report", calibCV},
	{"lars", "LARS entry order of the metrics, with the path plot", calibLARS},
	{"report", "cross-validation of LR and MLP, LARS and Algorithm 1: JSON, Markdown and PNG plots", calibReport},
}

// cmdCalib dispatches `metaood calib <sub> …`.
func cmdCalib(ctx context.Context, args []string) error {
	return dispatchSub(ctx, "calib", calibCommands, args)
}

func needFlag(name, val, hint string) error {
	if val == "" {
		return fmt.Errorf("%w: --%s is required (%s)", errUsage, name, hint)
	}
	return nil
}

func checkModel(m string) error {
	if m != calib.ModelLR && m != calib.ModelMLP {
		return fmt.Errorf("%w: --model %q: use lr or mlp", errUsage, m)
	}
	return nil
}

func parseLabels(flag, s string) ([]uint8, error) {
	var out []uint8
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 || v > 255 {
			return nil, fmt.Errorf("%w: --%s %q: want label values 0…255 separated by commas", errUsage, flag, s)
		}
		out = append(out, uint8(v))
	}
	return out, nil
}

// calibDataset builds a components dataset from one of three sources: probability (or logit) maps
// with label PNGs; images with label PNGs run through a segmentation model; synthetic drives run
// through a model. Rows are appended to --out as frames finish, so Ctrl-C keeps what is done.
func calibDataset(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("calib dataset", pflag.ContinueOnError)
	probs := fs.String("probs-dir", "", "source 1: folder of NAME.npy probability maps, float32 (C,H,W)")
	images := fs.String("images", "", "source 2: folder of images (PNG/JPEG, subfolders too) to run through --model; labels in --gt-dir")
	synths := fs.StringArray("synth", nil, "source 3, repeatable: synthetic drive seed=S,frames=N[,size=WxH,first=F,step=K,anomalies=0|1] through --model")
	gtDir := fs.String("gt-dir", "", "folder of ground-truth label PNGs, same subfolders as --images (default: --probs-dir or --images)")
	pattern := fs.String("gt-pattern", "{name}.png", "label file name for image NAME, e.g. {name}_gtFine_labelTrainIds.png")
	suffix := fs.String("image-suffix", "", "with --images: NAME is the file name minus this suffix, e.g. _leftImg8bit.png (default: minus the extension)")
	logits := fs.Bool("logits", false, "with --probs-dir: the maps hold logits, not probabilities (softmax first)")
	sm := addSegModelFlags(fs, "with --images or --synth: segmentation model .onnx (default: the built-in tiny model)", "probs")
	ood := fs.String("ood-labels", "", "label values that mark anomalies, e.g. 2 for LostAndFound (default: labels are 254 anomaly / 255 ignore)")
	ign := fs.String("ignore-labels", "255", "label values to ignore, used with --ood-labels")
	thr := fs.Float32("threshold", postproc.DefaultThreshold, "entropy threshold of the anomaly mask")
	out := fs.String("out", "", "dataset CSV to write")
	workers := fs.Int("workers", 0, "frames post-processed in parallel (0 = all cores)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `Usage: metaood calib dataset --out F.csv (--probs-dir DIR | --images DIR --gt-dir DIR | --synth seed=S,frames=N) [flags]

Components dataset (one row per predicted component, iou0 = 1 for false positives) from:
  --probs-dir DIR [--gt-dir DIR]             stored maps NAME.npy + label PNGs
  --images DIR --gt-dir DIR [--model M.onnx]  images + label PNGs, run through the model
  --synth seed=S,frames=N[,size=WxH,…]        a synthetic drive (frames + labels) through the model
The model runs at the image size (dynamic models) or its own; labels are resized to the map with
nearest neighbour when the sizes differ.
Beside F.csv goes F.csv.meta.json: the model and its sha256, the map size, classes, threshold,
frame count and sources. 'metaood calib train' records the model's sha256 and the map size in the
classifier from it, and 'metaood run' checks them against the model it runs.

Flags:`)
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if err := needFlag("out", *out, "where to write the CSV"); err != nil {
		return err
	}
	nsrc := 0
	for _, set := range []bool{*probs != "", *images != "", len(*synths) > 0} {
		if set {
			nsrc++
		}
	}
	if nsrc != 1 {
		return fmt.Errorf("%w: give exactly one source: --probs-dir DIR, --images DIR (with --gt-dir) or --synth seed=S,frames=N", errUsage)
	}
	if *probs != "" && modelFlagsSetCalib(fs) {
		return fmt.Errorf("%w: --model, --preset, --classes, --input-size and --probs are for --images and --synth; --probs-dir maps are used as stored", errUsage)
	}
	if *probs == "" && fs.Changed("logits") {
		return fmt.Errorf("%w: --logits describes --probs-dir maps; for a model that outputs probabilities use --probs", errUsage)
	}
	if *suffix != "" && *images == "" {
		return fmt.Errorf("%w: --image-suffix is only used with --images", errUsage)
	}
	if len(*synths) > 0 && (fs.Changed("gt-dir") || fs.Changed("gt-pattern")) {
		return fmt.Errorf("%w: --synth makes its own labels: leave out --gt-dir and --gt-pattern", errUsage)
	}
	var lm *calib.LabelMap
	if *ood != "" {
		o, err := parseLabels("ood-labels", *ood)
		if err != nil {
			return err
		}
		i, err := parseLabels("ignore-labels", *ign)
		if err != nil {
			return err
		}
		lm = &calib.LabelMap{OOD: o, Ignore: i}
	}

	var drives []synthSpec
	for _, s := range *synths {
		d, err := parseSynthSpec(s)
		if err != nil {
			return err
		}
		drives = append(drives, d)
	}
	meta, err := datasetMeta(*probs, *images, *synths, sm, *thr)
	if err != nil {
		return err
	}
	f, err := os.Create(*out) // before any work
	if err != nil {
		return fmt.Errorf("--out %s: %w", *out, err)
	}
	if err := os.Remove(calib.MetaPath(*out)); err != nil && !errors.Is(err, os.ErrNotExist) { // a stale one describes another dataset
		f.Close()
		return fmt.Errorf("--out %s: %w", *out, err)
	}
	var (
		frames iter.Seq2[calib.Frame, error]
		n      int
	)
	switch {
	case *probs != "":
		if *gtDir == "" {
			*gtDir = *probs
		}
		frames, n, err = calib.ProbsGTFrames(*probs, *gtDir, *pattern, *logits, lm)
	case *images != "":
		if *gtDir == "" {
			*gtDir = *images
		}
		var pairs []calib.ImagePair
		if pairs, err = calib.ImageGTPairs(*images, *suffix, *gtDir, *pattern); err == nil {
			frames, n, err = imageFrames(ctx, pairs, sm, lm)
		}
	default:
		frames, n, err = synthFrames(ctx, drives, sm, lm)
	}
	if err != nil {
		f.Close()
		os.Remove(*out)
		return err
	}
	return buildDatasetFile(ctx, f, postproc.New(postproc.Options{Threshold: *thr}), frames, n, *workers, meta)
}

// datasetMeta starts the sidecar of a dataset (calib.DatasetMeta): the model and its sha256 when
// one runs (--images, --synth), the entropy threshold and the sources; map size, classes and frame
// count are filled in as frames are done.
func datasetMeta(probsDir, images string, synths []string, sm *segModel, thr float32) (*calib.DatasetMeta, error) {
	// The threshold as given (0.7, not float32's 0.699999988…).
	t, _ := strconv.ParseFloat(strconv.FormatFloat(float64(thr), 'g', -1, 32), 64)
	meta := &calib.DatasetMeta{Threshold: t}
	switch {
	case probsDir != "":
		meta.Sources = []string{"--probs-dir " + probsDir} // stored maps: the model that made them is not known
		return meta, nil
	case images != "":
		meta.Sources = []string{"--images " + images}
	default:
		for _, s := range synths {
			meta.Sources = append(meta.Sources, "--synth "+s)
		}
	}
	data := segmodel.Tiny()
	if sm.Path != "" {
		var err error
		if data, err = infer.LoadModel(sm.Path); err != nil {
			return nil, err
		}
	}
	meta.Model, meta.ModelSHA256 = sm.name(), metaclf.ModelHash(data)
	meta.Preset, meta.InputSize = sm.Preset, sm.InputSize
	return meta, nil
}

// modelFlagsSetCalib reports whether a model flag of calib dataset was given.
func modelFlagsSetCalib(fs *pflag.FlagSet) bool {
	for _, n := range []string{"model", "preset", "classes", "input-size", "probs"} {
		if fs.Changed(n) {
			return true
		}
	}
	return false
}

// datasetChunk is how many frames are post-processed between two appends to the CSV.
const datasetChunk = 8

// buildDatasetFile runs frames through proc and appends the rows to the CSV f as chunks of frames
// finish, with a progress line on stderr; it closes f (and removes it when no frame was done).
// When ctx ends, the file keeps the rows written. Whenever the CSV is kept and meta is not nil, it
// also writes the sidecar calib.MetaPath(csv) from meta, with the map size and classes of the
// frames and the count of frames done.
func buildDatasetFile(ctx context.Context, f *os.File, proc *postproc.Processor, frames iter.Seq2[calib.Frame, error], n, workers int, meta *calib.DatasetMeta) error {
	path := f.Name()
	if meta != nil {
		frames = observeFrames(frames, meta)
	}
	app := calib.NewCSVAppender(f)
	done, fps := 0, 0
	var runErr error
	for chunk := range calib.Chunks(frames, datasetChunk) {
		base := done
		d, err := calib.BuildDataset(ctx, proc, chunk, workers, func(k int, image string) {
			done = base + k
			fmt.Fprintf(os.Stderr, "\r%d/%d frames (%s)   ", done, n, image)
		})
		if d != nil {
			fps += d.CountFP()
			if werr := app.Append(d); werr != nil {
				runErr = fmt.Errorf("--out %s: %w", path, werr)
				break
			}
		}
		if err != nil {
			if errors.Is(err, calib.ErrInterrupted) {
				err = fmt.Errorf("%w: %d frames processed", calib.ErrInterrupted, done)
			}
			runErr = err
			break
		}
	}
	fmt.Fprintln(os.Stderr)
	if runErr == nil && ctx.Err() != nil {
		runErr = fmt.Errorf("%w: %d frames processed", calib.ErrInterrupted, done)
	}
	if cerr := f.Close(); cerr != nil && runErr == nil {
		runErr = fmt.Errorf("--out %s: %w", path, cerr)
	}
	if app.Rows() == 0 && done == 0 && runErr != nil {
		os.Remove(path) // nothing useful in it
		return runErr
	}
	fmt.Fprintf(os.Stderr, "%s: %d components (%d false positives) from %d frames\n", path, app.Rows(), fps, done)
	if meta != nil {
		meta.Frames = done
		if err := calib.WriteDatasetMeta(calib.MetaPath(path), meta); err != nil {
			return errors.Join(runErr, err)
		}
	}
	return runErr
}

// observeFrames passes frames on, recording each map's classes and size in meta.
func observeFrames(frames iter.Seq2[calib.Frame, error], meta *calib.DatasetMeta) iter.Seq2[calib.Frame, error] {
	return func(yield func(calib.Frame, error) bool) {
		for fr, err := range frames {
			if err == nil {
				meta.Observe(fr.Input.C, fr.Input.W, fr.Input.H)
			}
			if !yield(fr, err) {
				return
			}
		}
	}
}

// synthSpec is one --synth drive: frames first, first+step, … of drive cfg.
type synthSpec struct {
	cfg                 synth.Config
	first, frames, step int
}

// parseSynthSpec reads a --synth drive (synth.ParseSpec's grammar); seed and frames are required
// here, size defaults to 1024x512, first to 0, step to 1.
func parseSynthSpec(s string) (synthSpec, error) {
	d, err := synth.ParseSpec(s)
	switch {
	case err != nil:
		return synthSpec{}, fmt.Errorf("%w: --synth: %v", errUsage, err)
	case !d.Given("seed") || !d.Given("frames") || d.Frames < 1:
		return synthSpec{}, fmt.Errorf("%w: --synth %q: seed and frames ≥ 1 are required (e.g. seed=1,frames=100)", errUsage, s)
	case d.Given("fps"):
		return synthSpec{}, fmt.Errorf("%w: --synth %q: fps does not apply to a dataset (frames are rendered, not played)", errUsage, s)
	case d.First+(d.Frames-1)*d.Step > 1<<30:
		return synthSpec{}, fmt.Errorf("%w: --synth %q: first+(frames-1)*step is past frame 2^30", errUsage, s)
	}
	return synthSpec{cfg: d.Config, first: d.First, frames: d.Frames, step: d.Step}, nil
}

// synthFrames renders the drives' frames and labels and runs them through the model, one frame at a
// time (ONNX Runtime uses the cores). Image ids are synth-s<seed>-<frame index>.
func synthFrames(ctx context.Context, drives []synthSpec, sm *segModel, lm *calib.LabelMap) (iter.Seq2[calib.Frame, error], int, error) {
	eng, err := sm.open()
	if err != nil {
		return nil, 0, err
	}
	n := 0
	for _, d := range drives {
		n += d.frames
	}
	seq := func(yield func(calib.Frame, error) bool) {
		defer eng.Close()
		for _, d := range drives {
			drive := synth.NewDrive(d.cfg)
			w, h := d.cfg.W, d.cfg.H
			for k := range d.frames {
				if ctx.Err() != nil {
					return
				}
				i := d.first + k*d.step
				fr := &frame.Frame{Source: "synth", Seq: uint64(i), W: w, H: h, Pix: make([]byte, 3*w*h)}
				gt := make([]uint8, w*h)
				drive.Frame(i, fr.Pix, gt)
				lm.Apply(gt)
				name := fmt.Sprintf("synth-s%d-%06d", d.cfg.Seed, i)
				in, err := segment(eng, fr, sm.Probs, gt)
				if err != nil {
					err = fmt.Errorf("%s through %s: %w", name, sm.name(), err)
				}
				if !yield(calib.Frame{Image: name, Input: in}, err) || err != nil {
					return
				}
			}
		}
	}
	return seq, n, nil
}

// imageFrames reads each image and its labels and runs the image through the model. Errors name
// the file.
func imageFrames(ctx context.Context, pairs []calib.ImagePair, sm *segModel, lm *calib.LabelMap) (iter.Seq2[calib.Frame, error], int, error) {
	eng, err := sm.open()
	if err != nil {
		return nil, 0, err
	}
	seq := func(yield func(calib.Frame, error) bool) {
		defer eng.Close()
		for _, p := range pairs {
			if ctx.Err() != nil {
				return
			}
			in, err := imageFrame(eng, p, sm, lm)
			if !yield(calib.Frame{Image: p.Name, Input: in}, err) || err != nil {
				return
			}
		}
	}
	return seq, len(pairs), nil
}

func imageFrame(eng *infer.Engine, p calib.ImagePair, sm *segModel, lm *calib.LabelMap) (postproc.Input, error) {
	fr, err := readImageFrame(p.Image)
	if err != nil {
		return postproc.Input{}, err
	}
	gt, w, h, err := postproc.ReadLabelPNG(p.GT)
	if err != nil {
		return postproc.Input{}, err
	}
	if w != fr.W || h != fr.H {
		return postproc.Input{}, fmt.Errorf("%w: label %s is %dx%d but image %s is %dx%d", calib.ErrData, p.GT, w, h, p.Image, fr.W, fr.H)
	}
	lm.Apply(gt)
	in, err := segment(eng, fr, sm.Probs, gt)
	if err != nil {
		return postproc.Input{}, fmt.Errorf("%s through %s: %w", p.Image, sm.name(), err)
	}
	return in, nil
}

// mlpFlags adds the MLP training flags (paper defaults) to fs.
func mlpFlags(fs *pflag.FlagSet) *calib.MLPOptions {
	o := &calib.MLPOptions{}
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the MLP's initialisation and shuffling")
	fs.IntVar(&o.Epochs, "epochs", 50, "MLP epochs")
	fs.IntVar(&o.Batch, "batch", 128, "MLP batch size (the last partial batch is dropped)")
	fs.Float64Var(&o.LR, "lr", 1e-3, "MLP Adam learning rate")
	fs.Float64Var(&o.WeightDecay, "weight-decay", 5e-3, "MLP coupled L2 weight decay")
	return o
}

func checkMLP(o *calib.MLPOptions) error {
	if o.Epochs < 1 || o.Batch < 1 || !(o.LR > 0) || !(o.WeightDecay >= 0) {
		return fmt.Errorf("%w: --epochs and --batch must be ≥ 1, --lr > 0, --weight-decay ≥ 0", errUsage)
	}
	o.NoDecay = o.WeightDecay == 0
	return nil
}

func calibTrain(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("calib train", pflag.ContinueOnError)
	data := fs.String("data", "", "components dataset CSV (from 'metaood calib dataset' or 'metaood features')")
	model := fs.String("model", "mlp", "classifier: lr or mlp")
	out := fs.String("out", "", "classifier JSON to write")
	c := fs.Float64("C", 1, "LR inverse regularisation strength (sklearn's C)")
	thr := fs.Float64("threshold", metaclf.DefaultThreshold, "stored decision threshold: remove a component when P(FP) > threshold")
	digits := fs.Int("digits", 7, "significant digits kept in the file (0 = all)")
	note := fs.String("note", "", "free text stored in the file's provenance (\"trained\")")
	extras := fs.StringArray("extra", nil, "KEY=VALUE added to the provenance, repeatable; VALUE is stored as JSON when it parses as JSON, else as text")
	modelSHA := fs.String("model-sha256", "", "sha256 (hex) of the segmentation model .onnx the data came from, recorded in the file so that 'metaood run' can check it (default: from the dataset's sidecar DATA.meta.json; \"\" = none)")
	mapSize := fs.String("map-size", "", "WxH of the class maps the data's metrics were computed at, recorded likewise (default: from the sidecar; \"\" = none)")
	fpBudget := fs.Float64("threshold-fp-per-frame", 0, "choose the threshold instead: the one that keeps at most this many false components per frame in grouped cross-validation (--threshold-cv), keeping as many true ones as that allows (0 = use --threshold)")
	thrCV := fs.String("threshold-cv", "images:5", "folds for --threshold-fp-per-frame")
	mo := mlpFlags(fs)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *fpBudget < 0 {
		return fmt.Errorf("%w: --threshold-fp-per-frame %g: want a count per frame ≥ 0", errUsage, *fpBudget)
	}
	if err := errors.Join(needFlag("data", *data, "a dataset CSV"), needFlag("out", *out, "where to write the classifier"), checkModel(*model), checkMLP(mo)); err != nil {
		return err
	}
	if !(*thr > 0 && *thr < 1) || !(*c > 0) {
		return fmt.Errorf("%w: --threshold must be in (0, 1) and --C > 0", errUsage)
	}
	d, err := calib.ReadCSVFile(*data)
	if err != nil {
		return err
	}
	extra, err := parseExtras(*extras)
	if err != nil {
		return err
	}
	if *note != "" {
		extra["note"] = *note
	}
	fit, err := trainedFor(*data, d, fs, *modelSHA, *mapSize)
	if err != nil {
		return err
	}
	if _, ok := extra["segmentation_model"]; !ok && fit.model != "" {
		extra["segmentation_model"] = fit.model
	}
	if *fpBudget > 0 {
		if *thr, err = pickThreshold(ctx, d, *data, *model, *thrCV, *c, *mo, *fpBudget, extra); err != nil {
			return err
		}
	}
	m, err := calib.Train(d, calib.TrainOptions{Model: *model, Threshold: *thr, LR: calib.LROptions{C: *c}, MLP: *mo, Source: filepath.Base(*data),
		Extra: extra, ModelSHA256: fit.sha, MapSize: fit.mapSize})
	if err != nil {
		return err
	}
	if *digits > 0 {
		f := m.File()
		calib.RoundFile(&f, *digits)
		if m, err = metaclf.New(f); err != nil {
			return err
		}
	}
	b, err := m.Marshal()
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		return fmt.Errorf("--out %s: %w", *out, err)
	}
	fmt.Fprintf(os.Stderr, "%s: %s on %d features, %d parameters, trained on %d components; %s\n", *out, m.Kind(), len(m.Features()), m.NumParams(), d.N(), fit.describe())
	return nil
}

// pickThreshold cross-validates the classifier (grouped by image) and returns the threshold that
// keeps at most budget false components per frame out of fold; the pick goes into extra.
func pickThreshold(ctx context.Context, d *calib.Dataset, data, model, cvFlag string, c float64, mo calib.MLPOptions, budget float64, extra map[string]any) (float64, error) {
	spec, err := parseCVFlag(cvFlag)
	if err != nil {
		return 0, err
	}
	frames := 0
	if meta, err := calib.ReadDatasetMeta(calib.MetaPath(data)); err == nil && meta != nil {
		frames = meta.Frames
	}
	if frames == 0 {
		if _, n, err := d.Groups(); err == nil {
			frames = n // frames without any component are not in the CSV: a slightly stricter budget
		}
	}
	res, err := calib.CrossValidate(ctx, d, calib.CVOptions{Model: model, CV: spec, Standardize: "fold", LR: calib.LROptions{C: c}, MLP: mo,
		Progress: progressPrinter("threshold " + model + " " + cvFlag)})
	if err != nil {
		return 0, err
	}
	pick, err := calib.PickThreshold(res.Prob, d.Y, frames, budget)
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(os.Stderr, "threshold %.6g: out of fold %d false components kept over %d frames (%.2f per frame, budget %g), %d of %d true ones kept (%.1f %%)\n",
		pick.Threshold, pick.KeptFP, pick.Frames, pick.FPPerFrame, budget, pick.KeptTP, pick.TP, 100*pick.TPKeptFraction)
	extra["threshold_pick"] = map[string]any{"rule": fmt.Sprintf("largest threshold keeping ≤ %g false components per frame, %s out of fold", budget, cvFlag),
		"pick": pick, "cv_auroc": res.AUROC, "cv_auprc": res.AUPRC}
	return pick.Threshold, nil
}

// trainFit is what a trained classifier records it fits: the model's sha256 and the map size.
type trainFit struct {
	sha     string
	mapSize []int
	model   string // the model as the sidecar names it (provenance only)
}

func (t trainFit) describe() string {
	s := "records no segmentation model ('metaood run' will warn that it is not known to fit)"
	if t.sha != "" {
		s = "for the model with sha256 " + t.sha
		if t.model != "" {
			s += " (" + t.model + ")"
		}
	}
	if t.mapSize != nil {
		s += fmt.Sprintf(" at %dx%d maps", t.mapSize[0], t.mapSize[1])
	} else {
		s += ", no map size"
	}
	return s
}

// trainedFor reads the dataset's sidecar (calib.MetaPath(data)) when it exists and applies
// --model-sha256 and --map-size over it. A sidecar whose class count differs from the CSV's is
// an error (it describes another dataset).
func trainedFor(data string, d *calib.Dataset, fs *pflag.FlagSet, shaFlag, sizeFlag string) (trainFit, error) {
	var t trainFit
	meta, err := calib.ReadDatasetMeta(calib.MetaPath(data))
	switch {
	case errors.Is(err, os.ErrNotExist):
		meta = nil
	case err != nil:
		return t, err
	}
	if meta != nil {
		if meta.Classes > 0 && d.Classes() > 0 && meta.Classes != d.Classes() {
			return t, fmt.Errorf("%s describes maps of %d classes but %s has the features of %d: it belongs to another dataset (delete it, or rebuild the dataset)",
				calib.MetaPath(data), meta.Classes, data, d.Classes())
		}
		t.sha, t.mapSize, t.model = meta.ModelSHA256, meta.MapSize, meta.Model
		if len(meta.MapSizes) > 1 {
			fmt.Fprintf(os.Stderr, "%s: the dataset's maps have %d different sizes %v: the classifier records none (pass --map-size WxH to set one)\n",
				calib.MetaPath(data), len(meta.MapSizes), meta.MapSizes)
		}
	}
	if fs.Changed("model-sha256") {
		t.sha = strings.ToLower(strings.TrimSpace(shaFlag))
		if t.sha != "" && !isHexSHA256(t.sha) {
			return t, fmt.Errorf("%w: --model-sha256 %q: want the 64 hex digits of sha256sum MODEL.onnx", errUsage, shaFlag)
		}
		if meta != nil && meta.ModelSHA256 != "" && t.sha != meta.ModelSHA256 {
			fmt.Fprintf(os.Stderr, "--model-sha256 overrides the sidecar's %s\n", meta.ModelSHA256)
		}
		t.model = ""
	}
	if fs.Changed("map-size") {
		t.mapSize = nil
		if strings.TrimSpace(sizeFlag) != "" {
			w, h, err := config.ParseSize(sizeFlag)
			if err != nil {
				return t, fmt.Errorf("%w: --map-size: %v", errUsage, err)
			}
			t.mapSize = []int{w, h}
		}
	}
	return t, nil
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// parseExtras reads --extra KEY=VALUE pairs: JSON values as JSON, anything else as a string.
func parseExtras(kvs []string) (map[string]any, error) {
	out := map[string]any{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%w: --extra %q: want KEY=VALUE", errUsage, kv)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%w: --extra %s given twice", errUsage, k)
		}
		var j any
		if json.Unmarshal([]byte(v), &j) == nil {
			out[k] = json.RawMessage(v)
		} else {
			out[k] = v
		}
	}
	return out, nil
}

// cvFlags are the flags shared by cv and report.
type cvFlags struct {
	standardize *string
	workers     *int
	seed        *uint64
	c           *float64
	mlp         *calib.MLPOptions
}

func addCVFlags(fs *pflag.FlagSet) *cvFlags {
	return &cvFlags{
		standardize: fs.String("standardize", "", "z-scoring: global (paper) or fold (honest); default global for loo, fold for images"),
		workers:     fs.Int("workers", 0, "folds trained in parallel (0 = all cores)"),
		seed:        fs.Uint64("fold-seed", 1, "seed assigning images to K folds"),
		c:           fs.Float64("C", 1, "LR inverse regularisation strength"),
		mlp:         mlpFlags(fs),
	}
}

func (f *cvFlags) options() (calib.CVOptions, error) {
	if err := checkMLP(f.mlp); err != nil {
		return calib.CVOptions{}, err
	}
	if s := *f.standardize; s != "" && s != calib.StdGlobal && s != calib.StdFold {
		return calib.CVOptions{}, fmt.Errorf("%w: --standardize %q: use global or fold", errUsage, s)
	}
	return calib.CVOptions{Standardize: *f.standardize, Workers: *f.workers, Seed: *f.seed, LR: calib.LROptions{C: *f.c}, MLP: *f.mlp}, nil
}

func parseCVFlag(s string) (calib.CVSpec, error) {
	spec, err := calib.ParseCV(s)
	if err != nil {
		return spec, fmt.Errorf("%w: --cv: %v", errUsage, err)
	}
	return spec, nil
}

func calibCV(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("calib cv", pflag.ContinueOnError)
	data := fs.String("data", "", "components dataset CSV")
	model := fs.String("model", "lr", "classifier: lr or mlp")
	cvs := fs.String("cv", "images:5", "folds: loo (per component, the paper), images (leave one image out) or images:K")
	rep := fs.String("report", "", "JSON report to write (auroc, auprc, accuracy, counts); also written when interrupted")
	cf := addCVFlags(fs)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if err := errors.Join(needFlag("data", *data, "a dataset CSV"), checkModel(*model)); err != nil {
		return err
	}
	spec, err := parseCVFlag(*cvs)
	if err != nil {
		return err
	}
	opt, err := cf.options()
	if err != nil {
		return err
	}
	d, err := calib.ReadCSVFile(*data)
	if err != nil {
		return err
	}
	opt.Model, opt.CV = *model, spec
	opt.Progress = progressPrinter(*model + " " + spec.String())
	r, err := calib.CrossValidate(ctx, d, opt)
	if r == nil {
		return err
	}
	fmt.Printf("%s %s (z-score %s): AUROC %.4f AUPRC %.4f accuracy %.4f; FP %d → %d kept, TP %d → %d kept; %d/%d folds in %.1fs\n",
		r.Model, r.CV, r.Standardize, r.AUROC, r.AUPRC, r.Accuracy, r.FPBefore, r.FPAfter, r.TPBefore, r.TPAfter, r.FoldsDone, r.Folds, r.Seconds)
	if *rep != "" {
		if werr := calib.WriteJSONFile(*rep, r); werr != nil {
			return werr
		}
	}
	return err
}

// progressPrinter shows cross-validation folds on stderr.
func progressPrinter(what string) func(done, total int) {
	bar := progress.New(os.Stderr, 0)
	return func(done, total int) {
		bar.SetTotal(total)
		bar.Update(done, fmt.Sprintf("%s: %d/%d folds", what, done, total))
		if done == total {
			bar.Done("")
		}
	}
}

func calibLARS(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("calib lars", pflag.ContinueOnError)
	data := fs.String("data", "", "components dataset CSV")
	out := fs.String("out", "", "folder for lars.json and lars.png")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if err := errors.Join(needFlag("data", *data, "a dataset CSV"), needFlag("out", *out, "an output folder")); err != nil {
		return err
	}
	d, err := calib.ReadCSVFile(*data)
	if err != nil {
		return err
	}
	res, err := calib.LARSOrder(d)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", *out, err)
	}
	lr := calib.NewLARSReport(d.Names, res)
	if err := calib.WriteJSONFile(filepath.Join(*out, "lars.json"), lr); err != nil {
		return err
	}
	if err := calib.WriteLARSPlot(*out, d.Names, res, 10); err != nil {
		return err
	}
	fmt.Println("entry order:", strings.Join(lr.Order, " "))
	if len(lr.Dropped) > 0 {
		fmt.Println("dropped (linearly dependent):", strings.Join(lr.Dropped, " "))
	}
	return nil
}

func parseSizes(s string, p int) ([]int, error) {
	switch s {
	case "", "none":
		return nil, nil
	case "all":
		s = "1-" + strconv.Itoa(p)
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a < 1 || b > p || a > b {
			return nil, fmt.Errorf("%w: --alg1 %q: want all, none, or sizes/ranges within 1-%d like 1-10,15,20", errUsage, s, p)
		}
		for n := a; n <= b; n++ {
			out = append(out, n)
		}
	}
	return out, nil
}

func calibReport(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("calib report", pflag.ContinueOnError)
	data := fs.String("data", "", "components dataset CSV")
	out := fs.String("out", "", "folder for report.json, report.md and the PNG plots")
	cvs := fs.StringSlice("cv", []string{"images:5"}, "protocols to run, e.g. images:5,loo (loo with MLP trains one network per component: slow)")
	models := fs.StringSlice("models", []string{"lr", "mlp"}, "classifiers to compare")
	alg1 := fs.String("alg1", "all", "Algorithm 1 sizes: all, none, or e.g. 1-10,20,40,75")
	alg1cv := fs.String("alg1-cv", "images:5", "protocol for Algorithm 1")
	cf := addCVFlags(fs)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if err := errors.Join(needFlag("data", *data, "a dataset CSV"), needFlag("out", *out, "an output folder")); err != nil {
		return err
	}
	for _, m := range *models {
		if err := checkModel(m); err != nil {
			return err
		}
	}
	var specs []calib.CVSpec
	for _, s := range *cvs {
		spec, err := parseCVFlag(s)
		if err != nil {
			return err
		}
		specs = append(specs, spec)
	}
	a1spec, err := parseCVFlag(*alg1cv)
	if err != nil {
		return err
	}
	base, err := cf.options()
	if err != nil {
		return err
	}
	d, err := calib.ReadCSVFile(*data)
	if err != nil {
		return err
	}
	sizes, err := parseSizes(*alg1, d.P())
	if err != nil {
		return err
	}
	r, err := calib.BuildReport(ctx, d, calib.ReportOptions{Models: *models, CV: specs, Base: base, Alg1: sizes, Alg1CV: &a1spec,
		Log: os.Stderr, Source: *data})
	if r == nil {
		return err
	}
	if werr := r.WriteFiles(*out, d); werr != nil {
		return werr
	}
	fmt.Fprintf(os.Stderr, "wrote %s (report.json, report.md, PNG plots)\n", *out)
	return err
}
