package infer

import (
	"fmt"
	"os"
	"strconv"

	ort "github.com/yalue/onnxruntime_go"
)

// sessionOptions builds ONNX Runtime options for provider p. Threads, as measured on 2 cores:
// intra-op ≤ cores, inter-op 1, no spinning (spinning fought the Go runtime). trtProfile is the
// input's TensorRT shape range for a dynamic batch (see tensorRTOptions); zero for none.
func sessionOptions(cfg Config, p string, profile trtProfile) (*ort.SessionOptions, error) {
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("%w: session options: %v", ErrRun, err)
	}
	ok := false
	defer func() {
		if !ok {
			opts.Destroy()
		}
	}()
	for _, step := range []func() error{
		func() error { return opts.SetIntraOpNumThreads(cfg.Threads) },
		func() error { return opts.SetInterOpNumThreads(1) },
		func() error { return opts.AddSessionConfigEntry("session.intra_op.allow_spinning", "0") },
		func() error { return opts.AddSessionConfigEntry("session.inter_op.allow_spinning", "0") },
	} {
		if err := step(); err != nil {
			return nil, fmt.Errorf("%w: session options: %v", ErrRun, err)
		}
	}
	if err := cfg.tuning.apply(opts); err != nil {
		return nil, fmt.Errorf("%w: session options: %v", ErrRun, err)
	}
	switch p {
	case ProviderCUDA:
		if err := appendCUDA(opts, cfg.Device); err != nil {
			return nil, err
		}
	case ProviderTensorRT:
		if err := appendTensorRT(opts, cfg, profile); err != nil {
			return nil, err
		}
		// Nodes TensorRT cannot take go to CUDA rather than the CPU.
		if err := appendCUDA(opts, cfg.Device); err != nil {
			return nil, err
		}
	}
	ok = true
	return opts, nil
}

// cudaOptions are the CUDA provider's settings: the device; the fastest convolution algorithms,
// searched once per input shape (the shapes of a run do not change, so the search pays off);
// the memory arena grown by what is asked rather than in powers of two (a 1024x512 batch of 8
// needs GBs: doubling would strand as much again); the whole cuDNN workspace the algorithms want.
func cudaOptions(device int) map[string]string {
	return map[string]string{
		"device_id":                    strconv.Itoa(device),
		"cudnn_conv_algo_search":       "EXHAUSTIVE",
		"arena_extend_strategy":        "kSameAsRequested",
		"cudnn_conv_use_max_workspace": "1",
		"do_copy_in_default_stream":    "1",
	}
}

func appendCUDA(opts *ort.SessionOptions, device int) error {
	co, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return fmt.Errorf("%w: cuda: %s", ErrProvider, firstLine(err.Error()))
	}
	defer co.Destroy()
	if err := co.Update(cudaOptions(device)); err != nil {
		return fmt.Errorf("%w: cuda (device %d): %s", ErrProvider, device, firstLine(err.Error()))
	}
	if err := opts.AppendExecutionProviderCUDA(co); err != nil {
		return fmt.Errorf("%w: cuda: %s", ErrProvider, firstLine(err.Error()))
	}
	return nil
}

// tensorRTOptions are the TensorRT provider's settings: device, fp16, the engine and timing
// caches (building an engine takes minutes; the cache is keyed by model and shapes), and for a
// dynamic batch one optimization profile from 1 to the largest batch, so that one engine serves
// every batch size instead of one build per size met.
func tensorRTOptions(cfg Config, profile trtProfile) map[string]string {
	kv := map[string]string{
		"device_id":       strconv.Itoa(cfg.Device),
		"trt_fp16_enable": boolStr(cfg.TRTFP16),
	}
	if cfg.TRTCache != "" {
		kv["trt_engine_cache_enable"] = "1"
		kv["trt_engine_cache_path"] = cfg.TRTCache
		kv["trt_timing_cache_enable"] = "1"
		kv["trt_timing_cache_path"] = cfg.TRTCache
	}
	if profile.min != "" {
		kv["trt_profile_min_shapes"] = profile.min
		kv["trt_profile_opt_shapes"] = profile.max
		kv["trt_profile_max_shapes"] = profile.max
	}
	return kv
}

// trtProfile is a TensorRT shape range of the input, "name:NxCxHxW" at the smallest and largest batch.
type trtProfile struct{ min, max string }

func appendTensorRT(opts *ort.SessionOptions, cfg Config, profile trtProfile) error {
	to, err := ort.NewTensorRTProviderOptions()
	if err != nil {
		return fmt.Errorf("%w: tensorrt: %s", ErrProvider, firstLine(err.Error()))
	}
	defer to.Destroy()
	if cfg.TRTCache != "" {
		if err := os.MkdirAll(cfg.TRTCache, 0o755); err != nil {
			return fmt.Errorf("%w: tensorrt engine cache %s: %v; give a writable engine cache folder", ErrConfig, cfg.TRTCache, err)
		}
	}
	if err := to.Update(tensorRTOptions(cfg, profile)); err != nil {
		return fmt.Errorf("%w: tensorrt options: %s", ErrProvider, firstLine(err.Error()))
	}
	if err := opts.AppendExecutionProviderTensorRT(to); err != nil {
		return fmt.Errorf("%w: tensorrt: %s", ErrProvider, firstLine(err.Error()))
	}
	return nil
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// ortTuning are session settings that BenchmarkORTSettings compares on the real model.
type ortTuning struct {
	optLevel string // "" (ONNX Runtime's default: all), "disable", "basic", "extended", "all"
	noArena  bool   // turn the CPU memory arena off
	parallel bool   // parallel execution mode (independent branches at once)
}

func (t ortTuning) apply(opts *ort.SessionOptions) error {
	levels := map[string]ort.GraphOptimizationLevel{"disable": ort.GraphOptimizationLevelDisableAll,
		"basic": ort.GraphOptimizationLevelEnableBasic, "extended": ort.GraphOptimizationLevelEnableExtended,
		"all": ort.GraphOptimizationLevelEnableAll}
	if t.optLevel != "" {
		l, ok := levels[t.optLevel]
		if !ok {
			return fmt.Errorf("optimization level %q unknown", t.optLevel)
		}
		if err := opts.SetGraphOptimizationLevel(l); err != nil {
			return err
		}
	}
	if t.noArena {
		if err := opts.SetCpuMemArena(false); err != nil {
			return err
		}
	}
	if t.parallel {
		if err := opts.SetExecutionMode(ort.ExecutionModeParallel); err != nil {
			return err
		}
	}
	return nil
}
