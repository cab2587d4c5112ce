package infer

import (
	"fmt"
	"os"
	"strconv"

	ort "github.com/yalue/onnxruntime_go"
)

// sessionOptions builds ONNX Runtime options for provider p. Threads, as measured on 2 cores:
// intra-op ≤ cores, inter-op 1, no spinning (spinning fought the Go runtime).
func sessionOptions(cfg Config, p string) (*ort.SessionOptions, error) {
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
	switch p {
	case ProviderCUDA:
		if err := appendCUDA(opts, cfg.Device); err != nil {
			return nil, err
		}
	case ProviderTensorRT:
		if err := appendTensorRT(opts, cfg); err != nil {
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

func appendCUDA(opts *ort.SessionOptions, device int) error {
	co, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return fmt.Errorf("%w: cuda: %s", ErrProvider, firstLine(err.Error()))
	}
	defer co.Destroy()
	if err := co.Update(map[string]string{"device_id": strconv.Itoa(device)}); err != nil {
		return fmt.Errorf("%w: cuda (device %d): %s", ErrProvider, device, firstLine(err.Error()))
	}
	if err := opts.AppendExecutionProviderCUDA(co); err != nil {
		return fmt.Errorf("%w: cuda: %s", ErrProvider, firstLine(err.Error()))
	}
	return nil
}

func appendTensorRT(opts *ort.SessionOptions, cfg Config) error {
	to, err := ort.NewTensorRTProviderOptions()
	if err != nil {
		return fmt.Errorf("%w: tensorrt: %s", ErrProvider, firstLine(err.Error()))
	}
	defer to.Destroy()
	kv := map[string]string{
		"device_id":       strconv.Itoa(cfg.Device),
		"trt_fp16_enable": boolStr(cfg.TRTFP16),
	}
	if cfg.TRTCache != "" {
		// Building an engine takes minutes: cache it (keyed by model and shapes) across runs.
		if err := os.MkdirAll(cfg.TRTCache, 0o755); err != nil {
			return fmt.Errorf("%w: tensorrt engine cache %s: %v; give a writable engine cache folder", ErrConfig, cfg.TRTCache, err)
		}
		kv["trt_engine_cache_enable"] = "1"
		kv["trt_engine_cache_path"] = cfg.TRTCache
		kv["trt_timing_cache_enable"] = "1"
		kv["trt_timing_cache_path"] = cfg.TRTCache
	}
	if err := to.Update(kv); err != nil {
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
