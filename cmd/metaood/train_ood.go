package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/proto"

	"github.com/metaood/metaood/finetune"
	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/infer"
	"github.com/metaood/metaood/internal/progress"
	"github.com/metaood/metaood/onnx"
	"github.com/metaood/metaood/onnx/pb"
)

func trainOOD(ctx context.Context, args []string) error {
	fs := pflag.NewFlagSet("train ood", pflag.ContinueOnError)
	model := fs.String("model", "", "segmentation model .onnx to fine-tune (required)")
	preset := fs.String("preset", "rgb01", "model input preprocessing: "+strings.Join(infer.PresetNames(), " | "))
	classes := fs.Int("classes", 19, "class channels that take part (the first K; 19 for Cityscapes exports with a void channel; 0 = all)")
	cut := fs.String("cut", "", "value name where the frozen part ends (default: as deep as the supported tail layers go)")
	layers := fs.Int("train-layers", 0, "weighted layers trained, counted from the output (1 = only the classifier; 0 = the whole tail)")
	hidden := fs.Int("head", 0, "instead of retraining the tail, train a 1x1 MLP head of this width on its features (--head-mode; 0 = none)")
	headIn := fs.StringArray("head-input", nil, "value the head reads (repeatable; resized to the class scores' size and concatenated; default: the tail's cut)")
	headCtx := fs.Int("head-context", 0, "also feed the head each input averaged over a KxK window (odd K > 1; 0 = none): context for a per-pixel head")
	headMode := fs.String("head-mode", "scale", "scale: the head sets a per-pixel temperature (never changes the predicted class); add: it adds to the class scores")
	ensemble := fs.Int("ensemble", 1, "with --head-mode scale: train this many heads, each on its own composites (seeds --seed, --seed+1, …), and average their temperatures")
	pf := addProxyFlags(fs, 160)
	epochs := fs.Int("epochs", 6, "passes over the images")
	batch := fs.Int("batch", 4, "images per Adam step when training the tail (a head takes 1024 sampled pixels a step)")
	lr := fs.Float64("lr", 1e-3, "Adam learning rate")
	lambda := fs.Float64("lambda", 0.9, "weight λ of the uniform target on proxy pixels (1−λ on known pixels)")
	cacheDir := fs.String("cache", ".cache/finetune", "folder for the frozen part's features (bfloat16, about 13 MB per image for ESPNetv2)")
	out := fs.String("out", "", "fine-tuned model .onnx to write (required); a checkpoint OUT.ckpt.onnx is kept after each epoch")
	resume := fs.Bool("resume", false, "continue from OUT.ckpt.onnx after its last finished epoch (Adam's moments start afresh)")
	workers := fs.Int("workers", 0, "images processed in parallel (0 = all cores)")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: metaood train ood --model M.onnx --backgrounds DIR --proxies DIR --out OUT.onnx [flags]\n\n"+
			"Entropy maximization (Chan et al. 2021; README, 'Real roads'): road frames with pasted proxy objects;\n"+
			"known pixels keep the network's own prediction (cross-entropy, weight 1−λ), proxy pixels are pushed\n"+
			"to the uniform distribution (weight λ). Only the tail (or a head on its features, --head) is trained,\n"+
			"in Go; the frozen part runs once per image in ONNX Runtime and its features are cached.\n\nFlags:\n%s", fs.FlagUsages())
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *model == "" || *out == "" {
		return fmt.Errorf("%w: --model and --out are required", errUsage)
	}
	if *classes < 0 {
		return fmt.Errorf("%w: --classes %d: want 0 (all) or a positive count", errUsage, *classes)
	}
	if *headMode != "scale" && *headMode != "add" {
		return fmt.Errorf("%w: --head-mode %q: want scale or add", errUsage, *headMode)
	}
	if *ensemble < 1 || *ensemble > 16 {
		return fmt.Errorf("%w: --ensemble %d: want 1 (one head) to 16 heads", errUsage, *ensemble)
	}
	if *ensemble > 1 && (*hidden == 0 || *headMode != "scale") {
		return fmt.Errorf("%w: --ensemble %d averages temperature heads: it needs --head N and --head-mode scale", errUsage, *ensemble)
	}
	if *headCtx < 0 || (*headCtx > 1 && *headCtx%2 == 0) {
		return fmt.Errorf("%w: --head-context %d: want an odd window size, or 0", errUsage, *headCtx)
	}
	raw, err := infer.LoadModel(*model)
	if err != nil {
		return err
	}
	base, err := onnx.Load(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", *model, err)
	}
	orig, err := finetune.ParseTail(base, *cut)
	if err != nil {
		return fmt.Errorf("%s: %w (pass --cut with a value name on the chain in front of the output)", *model, err)
	}
	k := *classes
	if k == 0 {
		k = orig.Out
	}
	if k > orig.Out {
		return fmt.Errorf("%w: --classes %d but %s has %d output channels", errUsage, k, *model, orig.Out)
	}
	sum := sha256.Sum256(raw)
	baseSHA := hex.EncodeToString(sum[:])

	nw := *workers
	if nw <= 0 {
		nw = runtime.NumCPU()
	}
	if *hidden > 0 {
		inputs := *headIn
		if len(inputs) == 0 {
			inputs = []string{orig.Cut}
		}
		return trainWithHead(ctx, &headRun{model: *model, preset: *preset, out: *out, cacheDir: *cacheDir, raw: raw, base: base,
			tail: orig, inputs: inputs, hidden: *hidden, scale: *headMode == "scale", ensemble: *ensemble, context: *headCtx, k: k, workers: nw, epochs: *epochs, lr: *lr, lambda: *lambda, pf: pf, args: args})
	}
	if *hidden < 0 {
		return fmt.Errorf("%w: --head %d: want a width, or 0 for none", errUsage, *hidden)
	}

	// The tail that trains: from the checkpoint when resuming, else the original weights.
	ckptPath := strings.TrimSuffix(*out, ".onnx") + ".ckpt.onnx"
	work, firstEpoch := base, 0
	if *resume {
		ck, err := onnx.LoadFile(ckptPath)
		if err != nil {
			return fmt.Errorf("--resume: %w", err)
		}
		if v, _ := ck.Metadata("metaood.finetune.base_sha256"); v != baseSHA {
			return fmt.Errorf("--resume: %s was trained from another model than %s; delete it or drop --resume", ckptPath, *model)
		}
		e, _ := ck.Metadata("metaood.finetune.epoch")
		fmt.Sscan(e, &firstEpoch)
		firstEpoch++
		work = ck
	}
	tail, err := finetune.ParseTail(work, orig.Cut)
	if err != nil {
		return err
	}
	tail.SetTrainable(*layers)
	trained, total := tail.Trainable()
	fmt.Fprintf(os.Stderr, "tail of %s from %q: %s\ntraining %d of %d weighted layers (%d weights)\n", *model, tail.Cut, tail.Layers(), trained, total, tail.Params())

	// The frozen part: the same graph cut at the tail's input.
	front := &onnx.Model{Proto: proto.Clone(base.Proto).(*pb.ModelProto)}
	if err := front.Truncate(tail.Cut, onnx.Sym("N"), onnx.Fixed(int64(tail.In)), onnx.Sym("H"), onnx.Sym("W")); err != nil {
		return err
	}
	frontBytes, err := front.Marshal()
	if err != nil {
		return err
	}
	if err := infer.Init(""); err != nil {
		return err
	}
	eng, err := infer.New(infer.Config{Model: frontBytes, ModelName: *model + " (frozen part)", Preset: *preset}, nil)
	if err != nil {
		return err
	}
	defer eng.Close()
	w, h := eng.InputSize()
	if w == 0 {
		w, h = 1024, 512
	}
	comp, err := pf.composer(w, h, false)
	if err != nil {
		return err
	}
	cache := &finetune.Cache{Dir: *cacheDir}
	keys, shares, err := extractFeatures(ctx, eng, comp, orig, k, baseSHA, cache, pf.count)
	if err != nil {
		return err
	}

	started := time.Now()
	cfg := finetune.TrainConfig{Classes: k, Lambda: *lambda, LR: *lr, Epochs: *epochs, Batch: *batch, Workers: nw,
		Seed: pf.seed, FirstEpoch: firstEpoch}
	meta := map[string]string{
		"metaood.finetune.base_model":  filepath.Base(*model),
		"metaood.finetune.base_sha256": baseSHA,
		"metaood.finetune.cut":         tail.Cut,
		"metaood.finetune.layers":      tail.Layers(),
		"metaood.finetune.command":     "metaood train ood " + provenanceArgs(args),
		"metaood.finetune.data":        fmt.Sprintf("%d composites (%d backgrounds, %d proxies, share %s, mean %.3f), seed %d", pf.count, len(comp.Backgrounds), len(comp.Proxies), comp.Regime.Name, shares, pf.seed),
	}
	var losses []string
	bar := progress.New(os.Stderr, 0)
	cfg.Progress = func(ep, step, steps int, l float64) {
		bar.SetTotal(cfg.Epochs * steps)
		bar.Update(ep*steps+step, fmt.Sprintf("epoch %d/%d step %d/%d loss %.4f", ep+1, cfg.Epochs, step, steps, l))
	}
	cfg.EpochDone = func(ep int, l float64) error {
		losses = append(losses, fmt.Sprintf("%.5f", l))
		bar.Done(fmt.Sprintf("epoch %d/%d mean loss %.5f (%.0f s)", ep+1, cfg.Epochs, l, time.Since(started).Seconds()))
		meta["metaood.finetune.epoch"] = fmt.Sprint(ep)
		return saveTuned(base, tail, meta, ckptPath)
	}
	_, err = finetune.Train(ctx, tail, cache, keys, cfg)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted; the last finished epoch is in %s: rerun with --resume to go on: %w", ckptPath, err)
		}
		return err
	}
	meta["metaood.finetune.epoch_losses"] = strings.Join(losses, ",")
	meta["metaood.finetune.train_seconds"] = fmt.Sprintf("%.0f", time.Since(started).Seconds())
	delete(meta, "metaood.finetune.epoch")
	if err := saveTuned(base, tail, meta, *out); err != nil {
		return err
	}
	os.Remove(ckptPath)
	fmt.Printf("wrote %s (trained %d weights in %.0f s)\n", *out, tail.Params(), time.Since(started).Seconds())
	return verifyTuned(*out, *preset, eng, comp, tail, pf.count)
}

// extractFeatures runs the frozen part on every composite that is not cached yet and stores its
// features with labels at feature resolution: LabelProxy on pasted pixels, the original network's
// prediction elsewhere. It returns the cache keys and the mean proxy share.
func extractFeatures(ctx context.Context, eng *infer.Engine, comp *finetune.Composer, orig *finetune.Tail, k int, baseSHA string, cache *finetune.Cache, n int) ([]string, float64, error) {
	keys := make([]string, n)
	var shares float64
	started, done := time.Now(), 0
	bar := progress.New(os.Stderr, n)
	for i := range n {
		h := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%d|%+v|%d|%v|%v|%d", baseSHA, orig.Cut, k, comp.Regime, comp.Seed, comp.Backgrounds, proxyNames(comp.Proxies), i))
		keys[i] = hex.EncodeToString(h[:12])
		if cache.Has(keys[i]) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, 0, fmt.Errorf("interrupted while extracting features (%d of %d cached; rerun to go on): %w", i, n, err)
		}
		c, err := comp.Compose(i)
		if err != nil {
			return nil, 0, err
		}
		shares += c.Share
		fr := &frame.Frame{Source: "composite", Seq: uint64(i), W: c.W, H: c.H, Pix: c.BGR}
		outs, err := eng.Infer([]*frame.Frame{fr})
		if err != nil {
			return nil, 0, fmt.Errorf("composite %d (%s): %w", i, c.Desc, err)
		}
		o := outs[0]
		labels := finetune.DownsampleLabels(c.Labels, c.W, c.H, o.W, o.H)
		orig.PseudoLabels(o.Data, o.H, o.W, k, labels)
		err = cache.Put(keys[i], o.Data, o.C, o.H, o.W, labels)
		o.Release()
		if err != nil {
			return nil, 0, err
		}
		done++
		bar.Update(i+1, fmt.Sprintf("features %d/%d (%.2f s/image)", i+1, n, time.Since(started).Seconds()/float64(done)))
	}
	if done > 0 {
		bar.Done(fmt.Sprintf("features of %d images in %.0f s into %s", done, time.Since(started).Seconds(), cache.Dir))
		shares /= float64(done)
	}
	return keys, shares, nil
}

func proxyNames(ps []finetune.Proxy) []string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.Name
	}
	return s
}

// saveTuned writes base with the tail's weights and the metadata to path (via a temporary file).
func saveTuned(base *onnx.Model, tail *finetune.Tail, meta map[string]string, path string) error {
	m := &onnx.Model{Proto: proto.Clone(base.Proto).(*pb.ModelProto)}
	if err := tail.Save(m); err != nil {
		return err
	}
	return saveModel(m, meta, path)
}

// saveModel replaces m's metaood.finetune.* metadata with meta and writes m to path (via a
// temporary file, so path never holds half a model).
func saveModel(m *onnx.Model, meta map[string]string, path string) error {
	var props []*pb.StringStringEntryProto
	for _, p := range m.Proto.GetMetadataProps() {
		if _, ours := meta[p.GetKey()]; !ours && !strings.HasPrefix(p.GetKey(), "metaood.finetune.") {
			props = append(props, p)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		props = append(props, &pb.StringStringEntryProto{Key: k, Value: meta[k]})
	}
	m.Proto.MetadataProps = props
	tmp := path + ".tmp"
	if err := m.Save(tmp); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// verifyTuned checks that ONNX Runtime running the written model gives what the Go tail gives on
// a composite that training did not use: the two must agree to float32 rounding.
func verifyTuned(path, preset string, front *infer.Engine, comp *finetune.Composer, tail *finetune.Tail, i int) error {
	c, err := comp.Compose(i)
	if err != nil {
		return err
	}
	fr := &frame.Frame{Source: "verify", W: c.W, H: c.H, Pix: c.BGR}
	fo, err := front.Infer([]*frame.Frame{fr})
	if err != nil {
		return err
	}
	goScores, oh, ow := tail.Forward(fo[0].Data, fo[0].H, fo[0].W)
	fo[0].Release()
	return compareWithORT(path, preset, fr, goScores, tail.Out, oh, ow)
}

// provenanceArgs is the command line as a model's provenance keeps it: file and folder arguments
// shortened to their last two path elements, so no machine's absolute paths end up in the model.
func provenanceArgs(args []string) string {
	out := make([]string, len(args))
	short := false
	for i, a := range args {
		out[i] = a
		if short && filepath.IsAbs(a) {
			dir, base := filepath.Split(filepath.Clean(a))
			out[i] = filepath.Join(filepath.Base(dir), base)
		}
		name, _, _ := strings.Cut(a, "=")
		switch name {
		case "--model", "--backgrounds", "--proxies", "--cache", "--out":
			short = !strings.Contains(a, "=")
		default:
			short = false
		}
	}
	return strings.Join(out, " ")
}
