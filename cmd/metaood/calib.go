package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"metaood/calib"
	"metaood/metaclf"
	"metaood/postproc"
)

// calibCommands are the subcommands of `metaood calib`.
var calibCommands = []struct {
	name, summary string
	run           func(ctx context.Context, args []string) error
}{
	{"dataset", "components dataset (CSV) from probability maps + ground-truth label images", calibDataset},
	{"train", "train a meta classifier (lr or mlp) on a dataset; writes the classifier JSON", calibTrain},
	{"cv", "cross-validate a classifier (loo = the paper's protocol, images[:K] = honest); writes a JSON report", calibCV},
	{"lars", "LARS entry order of the metrics, with the path plot", calibLARS},
	{"report", "cross-validation of LR and MLP, LARS and Algorithm 1: JSON, Markdown and PNG plots", calibReport},
}

// cmdCalib dispatches `metaood calib <sub> …`.
func cmdCalib(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Println("Usage: metaood calib <dataset|train|cv|lars|report> [flags]\n\nSubcommands:")
		for _, c := range calibCommands {
			fmt.Printf("  %-8s %s\n", c.name, c.summary)
		}
		if len(args) == 0 {
			return fmt.Errorf("%w: missing subcommand", errUsage)
		}
		return nil
	}
	for _, c := range calibCommands {
		if c.name == args[0] {
			return c.run(ctx, args[1:])
		}
	}
	return fmt.Errorf("%w: unknown calib subcommand %q (dataset, train, cv, lars, report)", errUsage, args[0])
}

// parseFlags parses fs and maps flag mistakes to errUsage; help returns errHelp (printed, exit 0).
func parseFlags(fs *pflag.FlagSet, args []string) (bool, error) {
	fs.SortFlags = false
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return true, nil
		}
		return false, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return false, nil
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

func calibDataset(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("calib dataset", pflag.ContinueOnError)
	probs := fs.String("probs-dir", "", "folder of NAME.npy probability maps, float32 (C,H,W)")
	gtDir := fs.String("gt-dir", "", "folder of ground-truth label PNGs (default: --probs-dir)")
	pattern := fs.String("gt-pattern", "{name}.png", "label file name for NAME.npy, e.g. {name}_gtCoarse_labelTrainIds.png")
	logits := fs.Bool("logits", false, "the maps hold logits, not probabilities (softmax first)")
	ood := fs.String("ood-labels", "", "label values that mark anomalies, e.g. 2 for LostAndFound (default: labels are 254 anomaly / 255 ignore)")
	ign := fs.String("ignore-labels", "255", "label values to ignore, used with --ood-labels")
	thr := fs.Float32("threshold", postproc.DefaultThreshold, "entropy threshold of the anomaly mask")
	out := fs.String("out", "", "dataset CSV to write")
	workers := fs.Int("workers", 0, "frames processed in parallel (0 = all cores)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if err := needFlag("probs-dir", *probs, "the folder of .npy maps"); err != nil {
		return err
	}
	if err := needFlag("out", *out, "where to write the CSV"); err != nil {
		return err
	}
	if *gtDir == "" {
		*gtDir = *probs
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
	frames, n, err := calib.ProbsGTFrames(*probs, *gtDir, *pattern, *logits, lm)
	if err != nil {
		return err
	}
	proc := postproc.New(postproc.Options{Threshold: *thr})
	d, err := calib.BuildDataset(ctx, proc, frames, *workers, func(done int, image string) {
		fmt.Fprintf(os.Stderr, "\r%d/%d frames (%s)   ", done, n, image)
	})
	fmt.Fprintln(os.Stderr)
	if d == nil {
		return err
	}
	if werr := writeDataset(*out, d); werr != nil {
		return werr
	}
	fmt.Fprintf(os.Stderr, "%s: %d components (%d false positives) from %d frames\n", *out, d.N(), d.CountFP(), n)
	return err
}

func writeDataset(path string, d *calib.Dataset) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	if err := d.WriteCSV(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
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
	mo := mlpFlags(fs)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
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
	extra := map[string]any{}
	if *note != "" {
		extra["note"] = *note
	}
	m, err := calib.Train(d, calib.TrainOptions{Model: *model, Threshold: *thr, LR: calib.LROptions{C: *c}, MLP: *mo, Source: filepath.Base(*data),
		Extra: extra})
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
	fmt.Fprintf(os.Stderr, "%s: %s on %d features, %d parameters, trained on %d components\n", *out, m.Kind(), len(m.Features()), m.NumParams(), d.N())
	return nil
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

func progressPrinter(what string) func(done, total int) {
	return func(done, total int) {
		if done%max(1, total/100) == 0 || done == total {
			fmt.Fprintf(os.Stderr, "\r%s: %d/%d folds", what, done, total)
			if done == total {
				fmt.Fprintln(os.Stderr)
			}
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
	r, err := calib.BuildReport(ctx, d, calib.ReportOptions{Models: *models, CV: specs, Base: base, Alg1: sizes, Alg1CV: a1spec,
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
