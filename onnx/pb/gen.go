// Package pb holds the Go types generated from onnx.proto3 (ONNX IR version 8, Apache-2.0),
// taken from github.com/advancedclimatesystems/gonnx@v1.1.0/onnx. The generated file is committed,
// so building needs only google.golang.org/protobuf; regenerate with `go generate ./onnx/pb`
// after `go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12` (protoc from protobuf-compiler).
package pb

//go:generate protoc --proto_path=. --go_out=. --go_opt=paths=source_relative --go_opt=Monnx.proto3=metaood/onnx/pb;pb onnx.proto3
