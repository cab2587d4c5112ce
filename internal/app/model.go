package app

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/metaood/metaood/config"
	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/infer"
	"github.com/metaood/metaood/metaclf"
	"github.com/metaood/metaood/onnx"
	"github.com/metaood/metaood/onnx/pb"
	"github.com/metaood/metaood/pipeline"
	"github.com/metaood/metaood/postproc"
	"github.com/metaood/metaood/segmodel"
)

// loadClassifier loads the meta classifier and checks its features against the metrics of
// `classes` classes. (It does not check the model and map size it was trained for: setupModel does.)
func loadClassifier(path string, classes int, threshold float64) (metaclf.Decider, error) {
	m := metaclf.Default()
	if path != "" {
		var err error
		if m, err = metaclf.Load(path); err != nil {
			return nil, err
		}
	} else {
		path = builtinClassifier
	}
	return classifierFor(m, path, classes, threshold)
}

// classifierFor checks m's features against the metrics of `classes` classes and applies
// --classifier-threshold; name is the classifier as messages show it.
func classifierFor(m *metaclf.Model, name string, classes int, threshold float64) (metaclf.Decider, error) {
	if err := m.Check(postproc.MetricNames(classes)); err != nil {
		return nil, fmt.Errorf("%s does not fit a %d-class model: %w (train one with 'metaood calib train' or pass --classes)", name, classes, err)
	}
	return m.WithThreshold(threshold), nil
}

// builtinClassifier names metaclf.Default in messages.
const builtinClassifier = "the built-in classifier"

// segModelFile is the segmentation model a run uses: its bytes and their sha256.
type segModelFile struct {
	path string // "" = the built-in tiny model
	data []byte
	sha  string // metaclf.ModelHash(data)
}

// loadSegModel reads the model (path "" = the built-in tiny model) and hashes it.
func loadSegModel(path string) (segModelFile, error) {
	sm := segModelFile{path: path, data: segmodel.Tiny()}
	if path != "" {
		var err error
		if sm.data, err = infer.LoadModel(path); err != nil {
			return sm, err
		}
	}
	sm.sha = metaclf.ModelHash(sm.data)
	return sm, nil
}

// name is the model as the classifier checks' messages show it.
func (sm segModelFile) name() string {
	if sm.path == "" {
		return "the built-in tiny model"
	}
	return sm.path
}

// engineName is the model as infer's messages show it.
func (sm segModelFile) engineName() string {
	if sm.path == "" {
		return "tiny.onnx (built in)"
	}
	return sm.path
}

// ClassifierBeside returns where a classifier for model NAME.onnx is looked for when --classifier
// is not given: NAME.metaclf.json in the model's folder.
func ClassifierBeside(model string) string {
	return strings.TrimSuffix(model, filepath.Ext(model)) + ".metaclf.json"
}

// chooseClassifier loads the meta classifier of a run: --classifier (or the config's classifier);
// else, with --model NAME.onnx, NAME.metaclf.json beside it when that file exists; else the built-in
// one. It returns the classifier and its name for messages (the file, or builtinClassifier).
func chooseClassifier(c config.Run, log *slog.Logger) (*metaclf.Model, string, error) {
	path := c.Classifier
	if path == "" && c.Model != "" {
		p := ClassifierBeside(c.Model)
		if _, err := os.Stat(p); err == nil {
			path = p
			log.Info("using the meta classifier found beside the model (--classifier overrides)", "classifier", p, "model", c.Model)
		} else {
			log.Debug("no meta classifier beside the model; the built-in one is checked against it", "looked_for", p)
		}
	}
	if path == "" {
		return metaclf.Default(), builtinClassifier, nil
	}
	m, err := metaclf.Load(path)
	return m, path, err
}

// fitError is a meta classifier that does not fit the model in use: the run refuses to start (or
// stops at the first map whose size shows it), unless --force.
type fitError struct{ msg string }

func (e *fitError) Error() string { return e.msg }
func (e *fitError) Unwrap() error { return errClassifierFit }

var errClassifierFit = errors.New("the meta classifier does not fit the segmentation model")

// clfFit checks a meta classifier against the model in use and the maps it produces. A mismatch is
// a *fitError, or with force a warning; a classifier that records nothing gets a warning.
type clfFit struct {
	clf     *metaclf.Model
	clfName string // the file, or builtinClassifier
	model   segModelFile
	force   bool
	log     *slog.Logger
}

const fitFix = "train one for this model with 'metaood calib dataset' and 'metaood calib train'"

// checkModel compares the sha256 the classifier records with the model's.
func (f clfFit) checkModel() error {
	err := f.clf.CheckModel(f.model.sha)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, metaclf.ErrNotRecorded):
		f.log.Warn("the meta classifier records no segmentation model (model_sha256), so it is not known to fit this one; "+fitFix,
			"classifier", f.clfName, "model", f.model.name(), "model_sha256", f.model.sha)
		return nil
	}
	trainedFor := "the model with sha256 " + f.clf.ModelSHA256()
	if f.clf.ModelSHA256() == metaclf.ModelHash(segmodel.Tiny()) {
		trainedFor = "the built-in tiny model (sha256 " + f.clf.ModelSHA256() + ")"
	}
	fix := fitFix
	if f.model.path != "" {
		fix += " (saved as " + ClassifierBeside(f.model.path) + " it is picked up without --classifier)"
	}
	return f.mismatch(fmt.Sprintf("%s was trained for %s, not for %s (sha256 %s)", f.clfName, trainedFor, f.model.name(), f.model.sha), fix)
}

// checkMapSize compares the map size the classifier records with w×h, the size of the model's maps;
// how says where that size comes from (e.g. "at --input-size 512x256"), for the message.
func (f clfFit) checkMapSize(w, h int, how string) error {
	err := f.clf.CheckMapSize(w, h)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, metaclf.ErrNotRecorded):
		if f.clf.ModelSHA256() != "" { // else checkModel has warned already
			f.log.Warn("the meta classifier records no map size (map_size), so it is not known to fit maps of this size",
				"classifier", f.clfName, "map_size", fmt.Sprintf("%dx%d", w, h))
		}
		return nil
	}
	cw, ch := f.clf.MapSize()
	return f.mismatch(fmt.Sprintf("%s was trained on %dx%d class maps, but %s produces %dx%d maps%s", f.clfName, cw, ch, f.model.name(), w, h, how),
		fitFix+" at this size")
}

// mismatch is the error, or with --force the warning, for a classifier that does not fit.
func (f clfFit) mismatch(what, fix string) error {
	if f.force {
		f.log.Warn("--force: using a meta classifier that does not fit: "+what+"; its P(false positive) may be meaningless", "classifier", f.clfName)
		return nil
	}
	return &fitError{fmt.Sprintf("%v: %s; %s, or pass --force to use it anyway", errClassifierFit, what, fix)}
}

// mapPlan is what the model file says about the size of its class maps before any frame runs.
type mapPlan struct {
	w, h         int  // the map size when known (a fixed output, or an output that follows a known input size)
	followsInput bool // output H and W are the input's (same dimension names): the map has the input size
	dynamicInput bool // the input H and W are not fixed
	parsed       bool // the bytes parse as an ONNX model
}

// planMapSize reads the model's graph input and output shapes (the output infer uses: "logits" or
// "probs", else the first); inW×inH is --input-size (0 = none). A model that does not parse gives
// an empty plan (parsed false): the engine then reports what is wrong with it.
func planMapSize(model []byte, inW, inH int) mapPlan {
	m, err := onnx.Load(model)
	if err != nil {
		return mapPlan{}
	}
	p := mapPlan{parsed: true}
	g := m.Proto.GetGraph()
	ins := m.Inputs()
	var in, out *pb.ValueInfoProto
	for _, v := range g.GetInput() {
		if len(ins) > 0 && v.GetName() == ins[0] {
			in = v
		}
	}
	if outs := g.GetOutput(); len(outs) > 0 {
		out = outs[0]
		for _, v := range outs { // several outputs: infer prefers the contract's name
			if v.GetName() == "logits" || v.GetName() == "probs" {
				out = v
				break
			}
		}
	}
	id, od := in.GetType().GetTensorType().GetShape().GetDim(), out.GetType().GetTensorType().GetShape().GetDim()
	if len(id) != 4 || len(od) != 4 {
		return p
	}
	p.dynamicInput = id[2].GetDimValue() <= 0 || id[3].GetDimValue() <= 0
	if ow, oh := od[3].GetDimValue(), od[2].GetDimValue(); ow > 0 && oh > 0 {
		p.w, p.h = int(ow), int(oh)
		return p
	}
	same := func(a, b *pb.TensorShapeProto_Dimension) bool {
		return (a.GetDimValue() > 0 && a.GetDimValue() == b.GetDimValue()) || (a.GetDimParam() != "" && a.GetDimParam() == b.GetDimParam())
	}
	p.followsInput = same(id[2], od[2]) && same(id[3], od[3])
	switch {
	case !p.followsInput:
	case !p.dynamicInput:
		p.w, p.h = int(id[3].GetDimValue()), int(id[2].GetDimValue())
	case inW > 0:
		p.w, p.h = inW, inH
	}
	return p
}

// Model is what a run infers with: the engine (close it), the segmenter the pipeline calls (the
// engine, or a guard of its map size) and the meta classifier with its decision threshold.
type Model struct {
	Engine     *infer.Engine
	Segmenter  pipeline.Segmenter
	Classifier metaclf.Decider
}

// OpenModel loads the segmentation model and the meta classifier (chooseClassifier), checks that
// the classifier was trained for this model (sha256 of its bytes) and map size, then opens the
// engine. The checks run before ONNX Runtime loads the model wherever the model file tells the map
// size: a fixed output size, or an output that has the input's size (then a dynamic-size model runs
// at the classifier's map size unless --input-size says otherwise). Otherwise the map size is
// checked on every map as frames flow, and the first mismatch stops the run.
func OpenModel(c config.Run, m *pipeline.Metrics, log *slog.Logger) (*Model, error) {
	sm, err := loadSegModel(c.Model)
	if err != nil {
		return nil, err
	}
	clf, clfName, err := chooseClassifier(c, log)
	if err != nil {
		return nil, err
	}
	var inW, inH int
	if c.InputSize != "" {
		inW, inH, _ = config.ParseSize(c.InputSize) // validated
	}
	plan := planMapSize(sm.data, inW, inH)
	if !plan.parsed {
		// Not an ONNX model as far as Go can read: let ONNX Runtime say what is wrong with the file
		// rather than blame the classifier for not fitting it.
		eng, err := openEngine(c, sm, m, log)
		if err != nil {
			return nil, err
		}
		eng.Close() // ONNX Runtime reads it after all: go on, checking the map size as frames flow
	}
	fit := clfFit{clf: clf, clfName: clfName, model: sm, force: c.Force, log: log}
	if err := fit.checkModel(); err != nil {
		return nil, err
	}
	cw, ch := clf.MapSize()
	if plan.followsInput && plan.dynamicInput && inW == 0 && cw > 0 {
		// A model that runs at any size: run it at the size the classifier was trained at.
		c.InputSize = fmt.Sprintf("%dx%d", cw, ch)
		plan.w, plan.h = cw, ch
		log.Info("the model runs at any input size: running it at the meta classifier's map size (--input-size overrides)",
			"input_size", c.InputSize, "classifier", clfName)
	}
	switch {
	case plan.w > 0:
		how := " (its fixed output size)"
		if inW > 0 {
			how = fmt.Sprintf(" at --input-size %s (drop it to run at the classifier's size)", c.InputSize)
		}
		if err := fit.checkMapSize(plan.w, plan.h, how); err != nil {
			return nil, err
		}
	case cw == 0 && clf.ModelSHA256() != "": // (with no model recorded either, checkModel has warned)
		log.Warn("the meta classifier records no map size (map_size), so it is not known to fit the maps of this model, whose size follows the frames",
			"classifier", clfName)
	}
	eng, err := openEngine(c, sm, m, log)
	if err != nil {
		return nil, err
	}
	pc, err := classifierFor(clf, clfName, eng.Classes(), c.ClfThreshold)
	if err != nil {
		eng.Close()
		return nil, err
	}
	model := &Model{Engine: eng, Segmenter: eng, Classifier: pc}
	if plan.w == 0 && cw > 0 {
		model.Segmenter = &mapSizeGuard{Segmenter: eng, fit: fit}
	}
	return model, nil
}

// mapSizeGuard checks the size of every map against the classifier's (a model whose map size the
// file does not tell): a mismatch fails the Segment call, which stops the run; with --force it
// is a warning, once per size.
type mapSizeGuard struct {
	pipeline.Segmenter
	fit    clfFit
	mu     sync.Mutex
	warned map[[2]int]bool
}

func (g *mapSizeGuard) Segment(frames []*frame.Frame) ([]*frame.Map, error) {
	maps, err := g.Segmenter.Segment(frames)
	if err != nil {
		return maps, err
	}
	cw, ch := g.fit.clf.MapSize()
	for _, m := range maps {
		if m.Err != nil || (m.W == cw && m.H == ch) {
			continue
		}
		g.mu.Lock()
		seen := g.warned[[2]int{m.W, m.H}]
		if g.warned == nil {
			g.warned = map[[2]int]bool{}
		}
		g.warned[[2]int{m.W, m.H}] = true
		g.mu.Unlock()
		if seen {
			continue
		}
		if ferr := g.fit.checkMapSize(m.W, m.H, fmt.Sprintf(" (frame %s/%d, %dx%d)", m.Frame.Source, m.Frame.Seq, m.Frame.W, m.Frame.H)); ferr != nil {
			for _, r := range maps {
				if r.Release != nil {
					r.Release()
				}
			}
			return nil, ferr
		}
	}
	return maps, nil
}

// openEngine initializes ONNX Runtime and opens the model (OpenModel does this after checking the
// meta classifier against the model).
func openEngine(c config.Run, sm segModelFile, m *pipeline.Metrics, log *slog.Logger) (*infer.Engine, error) {
	if err := infer.Init(c.OrtLib); err != nil {
		return nil, err
	}
	icfg := infer.Config{Model: sm.data, ModelName: sm.engineName(), Preset: c.Preset, Classes: c.Classes, Probs: c.Probs,
		Batch: c.Batch, Provider: c.Provider, Device: c.Device, TRTCache: c.TRTCache, TRTFP16: c.TRTFP16,
		Threads: c.Threads, AllowFallback: c.AllowFallback, DispersionHead: c.DispersionHead, HeadThreshold: float32(c.Threshold)}
	if c.Provider != infer.ProviderTensorRT && (c.TRTCache != "" || c.TRTFP16) {
		log.Warn("--trt-cache and --trt-fp16 apply to --provider tensorrt only; ignored", "provider", c.Provider)
	}
	if m != nil {
		icfg.Registry = m.Registry
	}
	if c.InputSize != "" {
		icfg.InputW, icfg.InputH, _ = config.ParseSize(c.InputSize)
	}
	return infer.New(icfg, log)
}

// ModelName is the model as the command's lines show it.
func ModelName(path string) string {
	if path == "" {
		return "tiny model (built in)"
	}
	return path
}
