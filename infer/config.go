package infer

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Provider names accepted by Config.Provider.
const (
	ProviderCPU      = "cpu"
	ProviderCUDA     = "cuda"
	ProviderTensorRT = "tensorrt"
)

// Config describes one inference engine. The zero value of every field except Model is usable.
type Config struct {
	Model          []byte // ONNX bytes (segmodel.Tiny() or a file's content, see LoadModel)
	ModelName      string // for messages (a file name); default "model"
	Preset         string // "rgb01" | "imagenet" | "bgr01" | "bgr-imagenet"; default "rgb01"
	Classes        int    // keep the first K output channels; 0 = all
	Probs          bool   // output is probabilities, not logits (passed through; the caller tells postproc)
	InputW, InputH int    // for dynamic-size models: run at this size (0 = frame size)
	Batch          int    // max frames per run; default 1
	Provider       string // "cpu" | "cuda" | "tensorrt"; default "cpu"
	Device         int    // GPU device id for cuda/tensorrt
	TRTCache       string // TensorRT engine (and timing) cache folder; "" = no cache
	TRTFP16        bool   // let TensorRT build fp16 engines
	Threads        int    // intra-op threads; 0 = all cores (never more)
	// AllowFallback runs on the CPU, with a WARN, when a GPU provider cannot be enabled;
	// without it that is an error (a silent CPU fallback is a known trap).
	AllowFallback bool
	// FullFiniteCheck scans every output value for NaN/Inf (about 8 ms per 19x512x1024 frame on
	// one core); by default a sample of about 4096 values per frame is checked, which catches a
	// broken model for microseconds (postproc rejects any NaN that gets through).
	FullFiniteCheck bool
	// DispersionHead appends to the model graph the per-pixel maps postproc needs (entropy,
	// argmax, top-2 probabilities, and the class probabilities of the pixels with entropy ≥
	// HeadThreshold): Outputs then carry Disp instead of Data, a few H×W maps instead of C
	// planes. It needs a logits model of opset 13 or newer.
	DispersionHead bool
	// HeadThreshold is the entropy threshold the head keeps class probabilities from; it must
	// not exceed postproc's. 0 = 0.7, postproc's default.
	HeadThreshold float32
	// tuning holds ONNX Runtime settings measured by BenchmarkORTSettings; the zero value is
	// what measured fastest (ORT's own defaults). Unexported: a rig has nothing to gain from them.
	tuning ortTuning
	// Registry receives the engine's Prometheus metrics; nil = not exported.
	Registry prometheus.Registerer
}

// LoadModel reads an ONNX file for Config.Model; the error is one line naming the file and the fix.
func LoadModel(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("%w: model file %s does not exist; give an .onnx file, or none for the built-in tiny model", ErrModel, path)
		}
		return nil, fmt.Errorf("%w: model file %s: %v", ErrModel, path, err)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: model file %s is empty; re-export or re-download it", ErrModel, path)
	}
	return data, nil
}

// withDefaults returns cfg with defaults filled in, or an error naming the bad field.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.ModelName == "" {
		cfg.ModelName = "model"
	}
	if len(cfg.Model) == 0 {
		return cfg, fmt.Errorf("%w: %s: no model bytes (Config.Model is empty)", ErrConfig, cfg.ModelName)
	}
	if cfg.Preset == "" {
		cfg.Preset = "rgb01"
	}
	if _, ok := presets[cfg.Preset]; !ok {
		return cfg, fmt.Errorf("%w: preset %q unknown; use one of %s", ErrConfig, cfg.Preset, strings.Join(PresetNames(), ", "))
	}
	if cfg.Classes < 0 {
		return cfg, fmt.Errorf("%w: classes %d is negative; use 0 for all output channels", ErrConfig, cfg.Classes)
	}
	if cfg.InputW < 0 || cfg.InputH < 0 || (cfg.InputW == 0) != (cfg.InputH == 0) {
		return cfg, fmt.Errorf("%w: input size %dx%d: give both width and height, or neither", ErrConfig, cfg.InputW, cfg.InputH)
	}
	if cfg.Batch < 0 {
		return cfg, fmt.Errorf("%w: batch %d is negative", ErrConfig, cfg.Batch)
	}
	if cfg.Batch == 0 {
		cfg.Batch = 1
	}
	cfg.Provider = strings.ToLower(cfg.Provider)
	switch cfg.Provider {
	case "":
		cfg.Provider = ProviderCPU
	case ProviderCPU, ProviderCUDA, ProviderTensorRT:
	case "trt":
		cfg.Provider = ProviderTensorRT
	default:
		return cfg, fmt.Errorf("%w: provider %q unknown; use cpu, cuda or tensorrt", ErrConfig, cfg.Provider)
	}
	if cfg.Device < 0 {
		return cfg, fmt.Errorf("%w: device %d is negative", ErrConfig, cfg.Device)
	}
	if cfg.HeadThreshold == 0 {
		cfg.HeadThreshold = 0.7
	}
	if !(cfg.HeadThreshold > 0 && cfg.HeadThreshold <= 1) {
		return cfg, fmt.Errorf("%w: dispersion head threshold %v is outside (0, 1]", ErrConfig, cfg.HeadThreshold)
	}
	// More intra-op threads than cores fights the Go runtime (measured: it doubled wall time).
	if n := runtime.NumCPU(); cfg.Threads <= 0 || cfg.Threads > n {
		cfg.Threads = n
	}
	return cfg, nil
}

func logOrDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
