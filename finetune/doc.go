// Package finetune teaches a segmentation network to be uncertain on objects it was never
// taught: entropy maximization (Chan et al. 2021, docs/METHOD.md) restricted to the network's
// tail, in pure Go.
//
// The network is cut at a tensor (the "cut") in front of its last layers. The frozen front runs
// once per training image in ONNX Runtime (the caller's job) and its features are cached; the
// tail (batch norm, PReLU, channel shuffle and convolutions, as found in the ONNX graph) is run
// and trained here with
//
//	L = (1−λ)·CE(known pixels) + λ·CE(uniform, proxy pixels),  λ = 0.9,
//
// and Adam. The trained weights are written back into the same ONNX graph, so the model keeps
// its inputs and outputs. Training images are road frames with proxy objects pasted in
// (Compose), labelled with train ids (or the original network's own predictions), LabelProxy
// on pasted pixels and LabelIgnore where nothing is known.
package finetune

// Labels beyond the train ids.
const (
	// LabelProxy marks pasted proxy-anomaly pixels: trained towards the uniform distribution.
	LabelProxy uint8 = 254
	// LabelIgnore marks pixels that take no part in the loss.
	LabelIgnore uint8 = 255
)
