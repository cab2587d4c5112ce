// Package infer runs the segmentation model with ONNX Runtime: one session per Engine,
// preprocessing presets, resizing to the model's input size, batching across frames and
// sources, and the execution provider (CPU, CUDA, TensorRT) actually in use.
//
// Call Init once per process before New. cgo (onnxruntime_go, gocv) stays inside this package.
package infer

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/metaood/metaood/frame"
)

// Output is the model's answer for one frame.
type Output struct {
	Frame   *frame.Frame
	C, H, W int       // map size (model resolution)
	Data    []float32 // C×H×W logits (or probs if Config.Probs); pooled: call Release
	// Disp replaces Data with Config.DispersionHead: the per-pixel maps the head computed.
	Disp           *frame.Dispersion
	ScaleX, ScaleY float64 // frame px per map px

	owner *outSlot
}

// Release returns Data to the engine's pool; o.Data must not be used afterwards. Calling it
// twice is harmless; it must not race with itself.
func (o *Output) Release() {
	if o.owner != nil {
		o.owner.release()
		o.owner = nil
	}
	o.Data, o.Disp = nil, nil
}

// Engine is one ONNX Runtime session with its checks, preprocessing and buffers.
// Infer and Segment are safe for concurrent use; Close waits for runs in flight.
type Engine struct {
	cfg      Config
	log      *slog.Logger
	provider string

	sess            *ort.DynamicAdvancedSession
	inName, outName string
	outNames        []string  // the session's outputs: outName, or the dispersion head's
	inDims, outDims ort.Shape // from the model; -1 = dynamic
	classes         int       // channels kept (K); 0 until known for a dynamic-C model
	head            bool      // the dispersion head is in the graph
	headThreshold   float32

	lut [3][256]float32
	src [3]int

	slots   slotPool
	met     *metrics
	shapeMu sync.Mutex
	shapes  map[slotKey]ort.Shape // input N,H,W → map shape, learnt on first run

	mu     sync.RWMutex // Close takes it for writing
	closed bool
}

// New checks the model's inputs and outputs, creates the session on the requested provider
// and returns the engine. log may be nil.
func New(cfg Config, log *slog.Logger) (*Engine, error) {
	if !ort.IsInitialized() {
		return nil, fmt.Errorf("%w: call infer.Init before infer.New", ErrNotInitialized)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, log: logOrDiscard(log).With("stage", "infer", "model", cfg.ModelName), shapes: map[slotKey]ort.Shape{}}
	e.lut, e.src = presets[cfg.Preset].lut()

	ins, outs, err := ort.GetInputOutputInfoWithONNXData(cfg.Model)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a loadable ONNX model (%s); re-export or re-download it", ErrModel, cfg.ModelName, firstLine(err.Error()))
	}
	if err := e.checkIO(ins, outs); err != nil {
		return nil, err
	}

	if e.cfg.Model, err = e.editModel(); err != nil {
		return nil, err
	}
	e.provider = cfg.Provider
	e.sess, err = e.newSession(cfg.Provider)
	if err != nil && cfg.Provider != ProviderCPU && cfg.AllowFallback {
		e.log.Warn("GPU execution provider unavailable; falling back to the CPU", "asked", cfg.Provider, "err", err)
		e.provider = ProviderCPU
		e.sess, err = e.newSession(ProviderCPU)
	}
	if err != nil {
		return nil, err
	}
	e.met = newMetrics(cfg.Registry)
	e.met.setProvider(e.provider)
	e.log.Info("inference engine ready", "provider", e.provider, "input", fmt.Sprint(e.inDims), "output", fmt.Sprint(e.outDims),
		"classes", e.classes, "preset", cfg.Preset, "batch", e.maxBatch(), "threads", cfg.Threads, "dispersion_head", e.head, "ort", Version())
	return e, nil
}

func (e *Engine) newSession(p string) (*ort.DynamicAdvancedSession, error) {
	opts, err := sessionOptions(e.cfg, p, e.trtProfile())
	if err != nil {
		return nil, e.providerHint(p, err)
	}
	defer opts.Destroy()
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(e.cfg.Model, []string{e.inName}, e.outNames, opts)
	if err != nil {
		if p != ProviderCPU {
			return nil, e.providerHint(p, fmt.Errorf("%w: %s session: %s", ErrProvider, p, firstLine(err.Error())))
		}
		return nil, fmt.Errorf("%w: %s: session: %s", ErrModel, e.cfg.ModelName, firstLine(err.Error()))
	}
	return s, nil
}

// trtProfile is the input's shape range for TensorRT when the batch is dynamic and the input size
// known: batches 1 to maxBatch at that size, so that one engine is built for all of them.
func (e *Engine) trtProfile() trtProfile {
	w, h := e.InputSize()
	if e.inDims[0] > 0 || w == 0 {
		return trtProfile{}
	}
	shape := func(n int) string { return fmt.Sprintf("%s:%dx3x%dx%d", e.inName, n, h, w) }
	return trtProfile{min: shape(1), max: shape(e.maxBatch())}
}

// providerHint adds the fix to a GPU provider failure.
func (e *Engine) providerHint(p string, err error) error {
	if p == ProviderCPU {
		return err
	}
	return fmt.Errorf("%w; this needs a GPU build of ONNX Runtime (see Dockerfile.cuda) and a visible GPU; use the cpu provider, or allow the fallback to run on the CPU with a warning", err)
}

// checkIO enforces the model contract: one float32 [N,3,H,W] input, a float32 [N,C,H,W] output
// with C ≥ Classes.
func (e *Engine) checkIO(ins, outs []ort.InputOutputInfo) error {
	name := e.cfg.ModelName
	if len(ins) != 1 {
		return fmt.Errorf("%w: %s has %d inputs (%s); want exactly one float32 [N,3,H,W] image input", ErrModelIO, name, len(ins), describe(ins))
	}
	in := ins[0]
	if in.OrtValueType != ort.ONNXTypeTensor || in.DataType != ort.TensorElementDataTypeFloat || len(in.Dimensions) != 4 {
		return fmt.Errorf("%w: %s input %s; want a float32 [N,3,H,W] tensor", ErrModelIO, name, in.String())
	}
	if d := in.Dimensions[1]; d != 3 && d >= 0 {
		return fmt.Errorf("%w: %s input %s has %d channels; want 3 (an RGB or BGR image)", ErrModelIO, name, in.String(), d)
	}
	if len(outs) == 0 {
		return fmt.Errorf("%w: %s has no outputs", ErrModelIO, name)
	}
	out := outs[0]
	for _, o := range outs { // several outputs: prefer the contract's name
		if o.Name == "logits" || o.Name == "probs" {
			out = o
			break
		}
	}
	if out.OrtValueType != ort.ONNXTypeTensor || out.DataType != ort.TensorElementDataTypeFloat || len(out.Dimensions) != 4 {
		return fmt.Errorf("%w: %s output %s; want a float32 [N,C,H,W] tensor of class scores", ErrModelIO, name, out.String())
	}
	if c := out.Dimensions[1]; c >= 0 && int(c) < e.cfg.Classes {
		return fmt.Errorf("%w: %s output %s has %d channels but %d classes are asked for", ErrModelIO, name, out.String(), c, e.cfg.Classes)
	} else if c > 0 {
		e.classes = int(c)
		if e.cfg.Classes > 0 {
			e.classes = e.cfg.Classes
		}
	}
	fixedH, fixedW := in.Dimensions[2] > 0, in.Dimensions[3] > 0
	if fixedH != fixedW {
		return fmt.Errorf("%w: %s input %s: height and width must both be fixed or both dynamic", ErrModelIO, name, in.String())
	}
	if fixedH && e.cfg.InputW > 0 && (int64(e.cfg.InputW) != in.Dimensions[3] || int64(e.cfg.InputH) != in.Dimensions[2]) {
		return fmt.Errorf("%w: %s has a fixed input size %dx%d; do not ask for the input size %dx%d", ErrConfig, name,
			in.Dimensions[3], in.Dimensions[2], e.cfg.InputW, e.cfg.InputH)
	}
	e.inName, e.outName = in.Name, out.Name
	e.inDims, e.outDims = in.Dimensions.Clone(), out.Dimensions.Clone()
	return nil
}

func describe(infos []ort.InputOutputInfo) string {
	s := make([]string, len(infos))
	for i := range infos {
		s[i] = infos[i].String()
	}
	return strings.Join(s, "; ")
}

// Provider returns the execution provider the session really uses: "cpu", "cuda" or "tensorrt".
func (e *Engine) Provider() string { return e.provider }

// Classes returns the number of channels in each Output (K), or 0 for a model whose channel
// count is dynamic until the first frame has run.
func (e *Engine) Classes() int {
	e.shapeMu.Lock() // learnt on the first run of a dynamic-channel model
	defer e.shapeMu.Unlock()
	return e.classes
}

// InputSize returns the model's fixed input size, or 0, 0 when it is dynamic.
func (e *Engine) InputSize() (w, h int) {
	if e.inDims[2] > 0 {
		return int(e.inDims[3]), int(e.inDims[2])
	}
	return e.cfg.InputW, e.cfg.InputH
}

// maxBatch is the most frames one session run takes: the model's fixed batch, else Config.Batch.
func (e *Engine) maxBatch() int {
	if n := e.inDims[0]; n > 0 {
		return int(n)
	}
	return e.cfg.Batch
}

// Close destroys the session. Outputs already returned stay valid.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	e.slots.close()
	if err := e.sess.Destroy(); err != nil {
		return fmt.Errorf("%w: closing session: %v", ErrRun, err)
	}
	return nil
}
