package onnx

import "errors"

// Sentinel errors; callers test them with errors.Is. Messages wrap them with the name at fault.
var (
	// ErrDuplicate means a value (input, initializer or node output) was defined twice.
	ErrDuplicate = errors.New("onnx: name defined twice")
	// ErrUnknown means a node input, output or initializer name refers to nothing in the graph.
	ErrUnknown = errors.New("onnx: unknown name")
	// ErrShape means data and dimensions disagree (element count, negative or zero sizes).
	ErrShape = errors.New("onnx: shape mismatch")
	// ErrModel means bytes or a file are not a usable ONNX model.
	ErrModel = errors.New("onnx: not a usable model")
	// ErrType means a tensor has an element type this package does not read or write.
	ErrType = errors.New("onnx: unsupported element type")
)
