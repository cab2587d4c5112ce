package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/metaood/metaood/finetune"
	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/infer"
	"github.com/metaood/metaood/internal/progress"
	"github.com/metaood/metaood/onnx"
	"github.com/metaood/metaood/onnx/pb"
)

// headRun is what trainWithHead needs from the command line.
type headRun struct {
	model, preset, out, cacheDir string
	raw                          []byte
	base                         *onnx.Model
	tail                         *finetune.Tail // the original tail: where the scores are
	inputs                       []string
	hidden, k, workers, epochs   int
	scale                        bool
	ensemble                     int // heads trained and averaged (ensemble; 0 or 1: one head)
	context                      int
	lr, lambda                   float64
	pf                           *proxyFlags
	args                         []string
}

// trainWithHead trains a residual head (finetune.Head) on pixels sampled from the composites and
// writes the model with the head inserted in front of the final upsampling.
func trainWithHead(ctx context.Context, r *headRun) error {
	sum := sha256.Sum256(r.raw)
	baseSHA := hex.EncodeToString(sum[:])
	// The frozen part outputs the head's inputs and the original class scores, concatenated.
	front := &onnx.Model{Proto: proto.Clone(r.base.Proto).(*pb.ModelProto)}
	const frontOut = "metaood_front"
	g := front.Proto.GetGraph()
	headIn, nodes, err := finetune.InputNodes(front, r.inputs, r.tail.Scores, "metaood_head", r.context)
	if err != nil {
		return fmt.Errorf("%w: --head-input: %v", errUsage, err)
	}
	for i, n := range nodes {
		g.Node = append(g.Node, n.Node(fmt.Sprintf("metaood_head.%d", i)))
	}
	g.Node = append(g.Node, &pb.NodeProto{Name: frontOut, OpType: "Concat", Input: []string{headIn, r.tail.Scores},
		Output: []string{frontOut}, Attribute: []*pb.AttributeProto{onnx.AttrInt("axis", 1)}})
	if err := front.Truncate(frontOut, onnx.Sym("N"), onnx.Sym("C"), onnx.Sym("H"), onnx.Sym("W")); err != nil {
		return fmt.Errorf("%w: --head-input: %v", errUsage, err)
	}
	frontBytes, err := front.Marshal()
	if err != nil {
		return err
	}
	if err := infer.Init(""); err != nil {
		return err
	}
	eng, err := infer.New(infer.Config{Model: frontBytes, ModelName: r.model + " (frozen part)", Preset: r.preset}, nil)
	if err != nil {
		return err
	}
	defer eng.Close()
	w, h := eng.InputSize()
	if w == 0 {
		w, h = 1024, 512
	}
	comp, err := r.pf.composer(w, h, false)
	if err != nil {
		return err
	}
	cache := &finetune.Cache{Dir: r.cacheDir}
	started := time.Now()
	members := max(r.ensemble, 1)
	var heads []*finetune.Head
	var losses, data []string
	for k := range members {
		// Member k: its own composites (seed + k) and its own initialisation and pixel order.
		seed := r.pf.seed + uint64(k)
		comp.Seed = seed
		if members > 1 {
			fmt.Fprintf(os.Stderr, "ensemble head %d/%d (seed %d)\n", k+1, members, seed)
		}
		head, loss, desc, err := trainMember(ctx, r, eng, comp, baseSHA, cache, seed)
		if err != nil {
			return err
		}
		heads = append(heads, head)
		losses = append(losses, loss)
		data = append(data, desc)
	}
	comp.Seed = r.pf.seed
	tuned := &onnx.Model{Proto: proto.Clone(r.base.Proto).(*pb.ModelProto)}
	var model headModel = heads[0]
	desc := headDesc(heads[0], r.tail.Scores)
	if members > 1 {
		ens, err := finetune.NewEnsemble(heads)
		if err != nil {
			return err
		}
		model = ens
		desc = fmt.Sprintf("ensemble of %d heads whose temperatures are averaged, each a %s", members, desc)
	}
	if err := model.Insert(tuned, r.tail.Scores); err != nil {
		return err
	}
	meta := map[string]string{
		"metaood.finetune.base_model":    filepath.Base(r.model),
		"metaood.finetune.base_sha256":   baseSHA,
		"metaood.finetune.head":          desc,
		"metaood.finetune.command":       "metaood train ood " + provenanceArgs(r.args),
		"metaood.finetune.data":          strings.Join(data, "; "),
		"metaood.finetune.epoch_losses":  strings.Join(losses, "; "),
		"metaood.finetune.train_seconds": fmt.Sprintf("%.0f", time.Since(started).Seconds()),
	}
	if err := saveModel(tuned, meta, r.out); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d weights trained in %.0f s)\n", r.out, model.Params(), time.Since(started).Seconds())
	return verifyHead(r, eng, comp, model)
}

// headModel is one head or an ensemble of them, as trainWithHead writes it into the graph.
type headModel interface {
	Apply(features, scores []float32, n int)
	Insert(m *onnx.Model, scores string) error
	Params() int
}

// trainMember trains one head on the composites of comp (its seed set by the caller) and returns
// it with its epoch losses and a description of its data for the model's provenance.
func trainMember(ctx context.Context, r *headRun, eng *infer.Engine, comp *finetune.Composer, baseSHA string, cache *finetune.Cache, seed uint64) (*finetune.Head, string, string, error) {
	samples, shares, err := samplePixels(ctx, eng, comp, r, baseSHA, cache)
	if err != nil {
		return nil, "", "", err
	}
	fmt.Fprintf(os.Stderr, "%d training pixels (%d features each) from %d composites\n", samples.Len(), samples.Dim, r.pf.count)
	head := finetune.NewHead(r.inputs, samples.Dim, r.hidden, r.tail.Out, r.scale, seed)
	head.Context = r.context
	started := time.Now()
	var losses []string
	bar := progress.New(os.Stderr, 0)
	hist, err := finetune.TrainHead(ctx, head, samples, finetune.HeadConfig{Classes: r.k, Lambda: r.lambda, LR: r.lr, Epochs: r.epochs,
		Workers: r.workers, Seed: seed,
		Progress: func(ep, st, steps int, l float64) {
			bar.SetTotal(r.epochs * steps)
			bar.Update(ep*steps+st, fmt.Sprintf("epoch %d/%d step %d/%d loss %.4f", ep+1, r.epochs, st, steps, l))
		},
		EpochDone: func(ep int, l float64) error {
			losses = append(losses, fmt.Sprintf("%.5f", l))
			bar.Done(fmt.Sprintf("epoch %d/%d mean loss %.5f (%.0f s)", ep+1, r.epochs, l, time.Since(started).Seconds()))
			return nil
		}})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, "", "", fmt.Errorf("interrupted after %d epochs (features stay cached: a rerun skips extraction): %w", len(hist), err)
		}
		return nil, "", "", err
	}
	data := fmt.Sprintf("%d composites (%d backgrounds, %d proxies, share %s, mean %.3f), %d pixels, seed %d", r.pf.count, len(comp.Backgrounds), len(comp.Proxies), comp.Regime.Name, shares, samples.Len(), seed)
	return head, strings.Join(losses, ","), data, nil
}

// samplePixels extracts (or reads from the cache) each composite's sampled pixels.
func samplePixels(ctx context.Context, eng *infer.Engine, comp *finetune.Composer, r *headRun, baseSHA string, cache *finetune.Cache) (*finetune.Samples, float64, error) {
	const maxProxy, maxOther = 3000, 3000
	var s *finetune.Samples
	var shares float64
	started, done := time.Now(), 0
	bar := progress.New(os.Stderr, r.pf.count)
	kind := "head3"
	if r.context > 1 {
		kind = fmt.Sprintf("head3c%d", r.context)
	}
	for i := range r.pf.count {
		hk := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%v|%s|%d|%+v|%d|%v|%v|%d", kind, baseSHA, r.inputs, r.tail.Scores, r.k, comp.Regime, comp.Seed, comp.Backgrounds, proxyNames(comp.Proxies), i))
		key := hex.EncodeToString(hk[:12])
		if !cache.Has(key) {
			if err := ctx.Err(); err != nil {
				return nil, 0, fmt.Errorf("interrupted while extracting features (%d of %d cached; rerun to go on): %w", i, r.pf.count, err)
			}
			c, err := comp.Compose(i)
			if err != nil {
				return nil, 0, err
			}
			shares += c.Share
			outs, err := eng.Infer([]*frame.Frame{{Source: "composite", Seq: uint64(i), W: c.W, H: c.H, Pix: c.BGR}})
			if err != nil {
				return nil, 0, fmt.Errorf("composite %d (%s): %w", i, c.Desc, err)
			}
			o := outs[0]
			n := o.H * o.W
			labels := finetune.DownsampleLabels(c.Labels, c.W, c.H, o.W, o.H)
			scores := o.Data[(o.C-r.tail.Out)*n:]
			finetune.FillPseudoLabels(scores, n, r.k, labels)
			idx, wp, wo := finetune.SamplePixels(labels, r.k, maxProxy, maxOther, rand.New(rand.NewPCG(r.pf.seed, uint64(i))))
			// Stored as C+1 channels: the features and scores, then each pixel's weight.
			m := len(idx)
			planar := make([]float32, (o.C+1)*m)
			lab := make([]uint8, m)
			for q, j := range idx {
				for ch := range o.C {
					planar[ch*m+q] = o.Data[ch*n+j]
				}
				lab[q] = labels[j]
				planar[o.C*m+q] = wo
				if labels[j] == finetune.LabelProxy {
					planar[o.C*m+q] = wp
				}
			}
			o.Release()
			if err := cache.Put(key, planar, o.C+1, 1, m, lab); err != nil {
				return nil, 0, err
			}
			done++
			bar.Update(i+1, fmt.Sprintf("features %d/%d (%.2f s/image)", i+1, r.pf.count, time.Since(started).Seconds()/float64(done)))
		}
		feat, lab, ch, _, m, err := cache.Load(key, nil)
		if err != nil {
			return nil, 0, err
		}
		if s == nil {
			s = &finetune.Samples{Dim: ch - 1 - r.tail.Out, Out: r.tail.Out}
		}
		all := make([]int, m)
		for q := range all {
			all[q] = q
		}
		s.Add(feat[:s.Dim*m], feat[s.Dim*m:(ch-1)*m], feat[(ch-1)*m:], lab, m, all)
	}
	if done > 0 {
		bar.Done(fmt.Sprintf("features of %d images in %.0f s into %s", done, time.Since(started).Seconds(), cache.Dir))
		shares /= float64(done)
	}
	return s, shares, nil
}

// verifyHead checks ONNX Runtime on the written model against the Go computation (original
// scores + head, upsampled) on a composite training did not use.
func verifyHead(r *headRun, front *infer.Engine, comp *finetune.Composer, head headModel) error {
	c, err := comp.Compose(r.pf.count)
	if err != nil {
		return err
	}
	fr := &frame.Frame{Source: "verify", W: c.W, H: c.H, Pix: c.BGR}
	fo, err := front.Infer([]*frame.Frame{fr})
	if err != nil {
		return err
	}
	o := fo[0]
	n := o.H * o.W
	scores := append([]float32(nil), o.Data[(o.C-r.tail.Out)*n:]...)
	head.Apply(o.Data[:(o.C-r.tail.Out)*n], scores, n)
	oh, ow := o.H, o.W
	o.Release()
	if r.tail.OutW > 0 {
		scores = finetune.Upsample(scores, r.tail.Out, oh, ow, r.tail.OutH, r.tail.OutW)
		oh, ow = r.tail.OutH, r.tail.OutW
	}
	return compareWithORT(r.out, r.preset, fr, scores, r.tail.Out, oh, ow)
}

// compareWithORT runs the model at path on fr and compares its scores with want (c×h×w).
func compareWithORT(path, preset string, fr *frame.Frame, want []float32, c, h, w int) error {
	data, err := infer.LoadModel(path)
	if err != nil {
		return err
	}
	full, err := infer.New(infer.Config{Model: data, ModelName: path, Preset: preset}, nil)
	if err != nil {
		return err
	}
	defer full.Close()
	outs, err := full.Infer([]*frame.Frame{fr})
	if err != nil {
		return err
	}
	defer outs[0].Release()
	o := outs[0]
	if o.H != h || o.W != w || len(o.Data) != len(want) {
		return fmt.Errorf("verify: ONNX Runtime gives %dx%dx%d, the Go forward pass %dx%dx%d", o.C, o.H, o.W, c, h, w)
	}
	var maxDiff, maxAbs float64
	for j, v := range o.Data {
		maxDiff = math.Max(maxDiff, math.Abs(float64(v)-float64(want[j])))
		maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
	}
	fmt.Printf("verified: ONNX Runtime and the Go forward pass agree within %.2g (scores up to %.3g)\n", maxDiff, maxAbs)
	if maxDiff > 1e-3*math.Max(1, maxAbs) {
		return fmt.Errorf("verify: ONNX Runtime and the Go forward pass differ by %.3g on %s: the written model does not compute what was trained", maxDiff, path)
	}
	return nil
}

// headDesc describes the head for the model's provenance.
func headDesc(h *finetune.Head, scores string) string {
	in := strings.Join(h.Inputs, " + ")
	if h.Context > 1 {
		in += fmt.Sprintf(" (each also averaged over %dx%d)", h.Context, h.Context)
	}
	if h.Scale {
		return fmt.Sprintf("1x1 MLP %d→%d→%d→1 on %s; %s multiplied by 2·sigmoid(output) (per-pixel temperature)", h.In, h.Hidden, h.Hidden, in, scores)
	}
	return fmt.Sprintf("1x1 MLP %d→%d→%d→%d on %s, added to %s", h.In, h.Hidden, h.Hidden, h.Out, in, scores)
}
