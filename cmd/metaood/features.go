package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/metaood/metaood/internal/npy"
	"github.com/metaood/metaood/postproc"
)

// cmdFeatures writes the per-component metrics (37+2C columns, docs/METHOD.md §3 order) of one class map
// as CSV, with the iou/iou0 labels when a ground-truth image is given.
//
//	metaood features --probs P.npy --gt G.png [--threshold 0.7] [--ood-label 254] [--ignore-label 255] --out F.csv
func cmdFeatures(ctx context.Context, args []string) error { return withHint(features(ctx, args)) }

func features(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("features", pflag.ContinueOnError)
	fs.SortFlags = false
	probs := fs.String("probs", "", "class probabilities: NumPy float32 array (C,H,W), C order")
	logits := fs.String("logits", "", "class logits instead of probabilities: NumPy float32 (C,H,W); softmax is taken here")
	image := fs.String("image", "", "an image (PNG or JPEG) to segment with --model instead of a stored map")
	sm := addSegModelFlags(fs, "ONNX segmentation model for --image (default: the built-in tiny model)", "model-probs")
	gt := fs.String("gt", "", "ground truth: 8-bit label PNG (H×W); adds the iou and iou0 columns")
	thr := fs.Float32("threshold", postproc.DefaultThreshold, "anomaly where the normalized entropy is ≥ this")
	ood := fs.Uint8("ood-label", postproc.DefaultOODLabel, "ground-truth label of anomaly pixels")
	ignore := fs.Uint8("ignore-label", postproc.DefaultIgnoreLabel, "ground-truth label of ignored pixels (removed from the mask)")
	out := fs.String("out", "-", "output CSV file; - is standard output")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: metaood features (--probs P.npy | --logits L.npy | --image I.png [--model M.onnx]) [--gt G.png] [flags]")
		fmt.Fprintln(fs.Output(), "\nPer-component metrics of one class map as CSV (one row per component).\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q (inputs are given with --probs, --logits or --image)", errUsage, fs.Arg(0))
	}
	inputs := 0
	for _, s := range []string{*probs, *logits, *image} {
		if s != "" {
			inputs++
		}
	}
	switch {
	case inputs == 0:
		return fmt.Errorf("%w: give the class map with --probs P.npy (or --logits L.npy, or --image with --model)", errUsage)
	case inputs > 1:
		return fmt.Errorf("%w: --probs, --logits and --image exclude each other: give one", errUsage)
	case *image == "" && modelFlagsSet(fs):
		return fmt.Errorf("%w: --model, --preset, --classes, --input-size and --model-probs are only used with --image", errUsage)
	}
	if !(*thr > 0 && *thr <= 1) { // 0 would mean "default" to postproc.Options
		return fmt.Errorf("%w: --threshold %v: use a value in (0, 1]", errUsage, *thr)
	}
	opts := postproc.Options{Threshold: *thr, OODLabel: *ood, IgnoreLabel: *ignore}
	if err := opts.Validate(); err != nil {
		return fmt.Errorf("%w: %v (check --threshold, --ood-label, --ignore-label)", errUsage, err)
	}

	var in postproc.Input
	var src string
	var err error
	switch {
	case *image != "":
		src = *image
		in, err = featuresInfer(*image, *gt, sm)
	case *logits != "":
		src = *logits
		in, err = featuresReadMap(*logits, true)
	default:
		src = *probs
		in, err = featuresReadMap(*probs, false)
	}
	if err != nil {
		return err
	}
	if *gt != "" && in.GT == nil {
		labels, w, h, err := postproc.ReadLabelPNG(*gt)
		if err != nil {
			return err
		}
		if w != in.W || h != in.H {
			return fmt.Errorf("%s: ground truth is %dx%d but %s is %dx%d (W×H): they must match", *gt, w, h, src, in.W, in.H)
		}
		in.GT = labels
	}

	res, err := postproc.New(opts).Process(in)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	defer res.Release()

	w := io.Writer(os.Stdout)
	var f *os.File
	if *out != "-" {
		if f, err = os.Create(*out); err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if err := writeFeaturesCSV(w, res, in.GT != nil); err != nil {
		return fmt.Errorf("%s: %w", *out, err)
	}
	if f != nil {
		return f.Close()
	}
	return nil
}

// featuresReadMap reads a (C,H,W) float32 .npy class map; errors name the file and the problem.
func featuresReadMap(path string, logits bool) (postproc.Input, error) {
	a, err := npy.ReadFile(path)
	if err != nil {
		return postproc.Input{}, err
	}
	if a.F32 == nil {
		return postproc.Input{}, fmt.Errorf("%s: dtype %s, want float32 (<f4): save with arr.astype(np.float32)", path, a.Descr)
	}
	if len(a.Shape) != 3 {
		return postproc.Input{}, fmt.Errorf("%s: shape %v is not (C, H, W): one map per file, class axis first", path, a.Shape)
	}
	if a.Shape[0] < 2 || a.Shape[0] > 255 {
		return postproc.Input{}, fmt.Errorf("%s: %d classes on the first axis of %v; want (C, H, W) with 2 ≤ C ≤ 255 (is the class axis last?)", path, a.Shape[0], a.Shape)
	}
	return postproc.Input{C: a.Shape[0], H: a.Shape[1], W: a.Shape[2], Data: a.F32, Logits: logits}, nil
}

// writeFeaturesCSV writes the header (metric names, then iou,iou0 with labels) and one row per
// component in reference order. Floats are printed to round-trip exactly.
func writeFeaturesCSV(w io.Writer, r *postproc.Result, labels bool) error {
	bw := bufio.NewWriter(w)
	for i, n := range postproc.MetricNames(r.C) {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString(n)
	}
	if labels {
		bw.WriteString(",iou,iou0")
	}
	bw.WriteByte('\n')
	var buf []byte
	for k := range r.Components {
		for i, v := range r.Row(k) {
			if i > 0 {
				bw.WriteByte(',')
			}
			buf = strconv.AppendFloat(buf[:0], v, 'g', -1, 64)
			bw.Write(buf)
		}
		if labels {
			buf = strconv.AppendFloat(append(buf[:0], ','), r.IoU[k], 'g', -1, 64)
			buf = append(append(buf, ','), '0'+r.IoU0[k])
			bw.Write(buf)
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// modelFlagsSet reports whether any of the model flags was given.
func modelFlagsSet(fs *pflag.FlagSet) bool {
	for _, n := range []string{"model", "preset", "classes", "input-size", "model-probs"} {
		if fs.Changed(n) {
			return true
		}
	}
	return false
}

// featuresInfer segments one image with the model and returns its class map at map resolution
// (logits, or probabilities with --model-probs). With gtPath the labels are attached, resized to
// the map with nearest neighbour when the model runs at another size than the image's.
func featuresInfer(imagePath, gtPath string, m *segModel) (postproc.Input, error) {
	f, err := readImageFrame(imagePath)
	if err != nil {
		return postproc.Input{}, err
	}
	var gt []uint8
	if gtPath != "" {
		labels, w, h, err := postproc.ReadLabelPNG(gtPath)
		if err != nil {
			return postproc.Input{}, err
		}
		if w != f.W || h != f.H {
			return postproc.Input{}, fmt.Errorf("%s: ground truth is %dx%d but %s is %dx%d (W×H): they must match", gtPath, w, h, imagePath, f.W, f.H)
		}
		gt = labels
	}
	eng, err := m.open()
	if err != nil {
		return postproc.Input{}, err
	}
	defer eng.Close()
	in, err := segment(eng, f, m.Probs, gt)
	if err != nil {
		return postproc.Input{}, fmt.Errorf("%s through %s: %w", imagePath, m.name(), err)
	}
	return in, nil
}
