// Package onnxpb holds the Go types of ONNX's protobuf schema, generated
// from onnx.proto of ONNX 1.12.0 (Debian's libonnx-dev 1.12.0-2, opset 17,
// IR version 8; older files such as IR version 7 read the same). The
// generated onnx.pb.go is committed, so building needs no protoc. To
// regenerate it (Debian: apt-get install protobuf-compiler; protoc-gen-go
// from the pinned google.golang.org/protobuf):
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	protoc --go_out=. --go_opt=paths=source_relative \
//	  --go_opt=Monnx.proto=github.com/npusim/npusim/onnx/internal/onnxpb onnx.proto
//
// onnx.proto is ONNX's, under the Apache License 2.0 (see LICENSE-onnx).
package onnxpb
