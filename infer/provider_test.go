package infer

import (
	"maps"
	"testing"
)

// The provider settings as ONNX Runtime's CUDA and TensorRT providers spell them (their
// option keys; a misspelt key fails only on a GPU machine, so they are pinned here).
func TestProviderOptions(t *testing.T) {
	if got, want := cudaOptions(2), map[string]string{"device_id": "2", "cudnn_conv_algo_search": "EXHAUSTIVE",
		"arena_extend_strategy": "kSameAsRequested", "cudnn_conv_use_max_workspace": "1", "do_copy_in_default_stream": "1"}; !maps.Equal(got, want) {
		t.Errorf("cudaOptions = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		name    string
		cfg     Config
		profile trtProfile
		want    map[string]string
	}{
		{"plain", Config{Device: 1}, trtProfile{}, map[string]string{"device_id": "1", "trt_fp16_enable": "0"}},
		{"fp16 and cache", Config{TRTFP16: true, TRTCache: "/c"}, trtProfile{}, map[string]string{"device_id": "0", "trt_fp16_enable": "1",
			"trt_engine_cache_enable": "1", "trt_engine_cache_path": "/c", "trt_timing_cache_enable": "1", "trt_timing_cache_path": "/c"}},
		{"profile", Config{}, trtProfile{min: "input:1x3x512x1024", max: "input:8x3x512x1024"}, map[string]string{"device_id": "0", "trt_fp16_enable": "0",
			"trt_profile_min_shapes": "input:1x3x512x1024", "trt_profile_opt_shapes": "input:8x3x512x1024", "trt_profile_max_shapes": "input:8x3x512x1024"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tensorRTOptions(tc.cfg, tc.profile); !maps.Equal(got, tc.want) {
				t.Errorf("tensorRTOptions = %v, want %v", got, tc.want)
			}
		})
	}
}

// A batch-1 export run with Batch 8 gets a TensorRT profile from 1 to 8 frames at its size; a
// fixed batch gets none.
func TestTensorRTProfile(t *testing.T) {
	fixed := convModel(identity, []float32{0, 0, 0}, dims(dv(1), dv(3), dv(4), dv(8)), dims(dv(1), dv(3), dv(4), dv(8)), 1)
	for _, tc := range []struct {
		name  string
		batch int
		want  trtProfile
	}{
		{"batch 1", 1, trtProfile{}},
		{"batch 8", 8, trtProfile{min: "image:1x3x4x8", max: "image:8x3x4x8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, Config{Model: fixed, Batch: tc.batch})
			if got := e.trtProfile(); got != tc.want {
				t.Errorf("trtProfile = %+v, want %+v", got, tc.want)
			}
		})
	}
}
