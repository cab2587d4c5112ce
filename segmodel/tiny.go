// Package segmodel is the project's own tiny segmentation model: fixed local-context features
// followed by a per-pixel MLP (1×1 convolutions), trained in Go on synthetic drives with
// entropy maximisation on proxy anomalies (docs/METHOD.md §6), written as ONNX with package onnx.
// Tiny returns the embedded default model; Train and Evaluate rebuild and measure it.
// Regenerate tiny.onnx (deterministic for a given synth version, ~10–30 s on 2 cores) with
//
//	go run ./cmd/metaood synth model --out segmodel/tiny.onnx
package segmodel

import _ "embed"

//go:embed tiny.onnx
var tiny []byte

// Tiny returns the embedded default model: input "image" [N,3,H,W] RGB float in [0,1];
// output "logits" [N,19,H,W]; N, H, W dynamic. The slice is shared: do not modify it.
func Tiny() []byte { return tiny }
