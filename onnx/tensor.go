package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/metaood/metaood/onnx/pb"
)

// FloatTensor returns a float32 TensorProto named name with the given dims, data stored as
// little-endian raw_data (the compact form every runtime reads).
func FloatTensor(name string, dims []int64, data []float32) (*pb.TensorProto, error) {
	n, err := numElements(dims)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", name, err)
	}
	if n != int64(len(data)) {
		return nil, fmt.Errorf("%w: tensor %q has dims %v (%d elements) but %d values", ErrShape, name, dims, n, len(data))
	}
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return &pb.TensorProto{Name: name, Dims: append([]int64(nil), dims...), DataType: int32(pb.TensorProto_FLOAT), RawData: raw}, nil
}

// Int64Tensor returns an int64 TensorProto (shapes, axes, indices) named name with the given dims.
func Int64Tensor(name string, dims []int64, data []int64) (*pb.TensorProto, error) {
	n, err := numElements(dims)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", name, err)
	}
	if n != int64(len(data)) {
		return nil, fmt.Errorf("%w: tensor %q has dims %v (%d elements) but %d values", ErrShape, name, dims, n, len(data))
	}
	return &pb.TensorProto{Name: name, Dims: append([]int64(nil), dims...), DataType: int32(pb.TensorProto_INT64),
		Int64Data: append([]int64(nil), data...)}, nil
}

// Floats decodes a float32 TensorProto, whether its values sit in raw_data or float_data.
func Floats(t *pb.TensorProto) ([]float32, error) {
	if t.GetDataType() != int32(pb.TensorProto_FLOAT) {
		return nil, fmt.Errorf("%w: tensor %q has type %v, want FLOAT", ErrType, t.GetName(), pb.TensorProto_DataType(t.GetDataType()))
	}
	n, err := numElements(t.GetDims())
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.GetName(), err)
	}
	if raw := t.GetRawData(); len(raw) > 0 {
		if int64(len(raw)) != 4*n {
			return nil, fmt.Errorf("%w: tensor %q has %d raw bytes for %d floats", ErrShape, t.GetName(), len(raw), n)
		}
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return out, nil
	}
	if int64(len(t.GetFloatData())) != n {
		return nil, fmt.Errorf("%w: tensor %q has %d floats for dims %v", ErrShape, t.GetName(), len(t.GetFloatData()), t.GetDims())
	}
	return append([]float32(nil), t.GetFloatData()...), nil
}

// numElements is the product of dims; a scalar (no dims) has one element.
func numElements(dims []int64) (int64, error) {
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("%w: negative dimension in %v", ErrShape, dims)
		}
		n *= d
	}
	return n, nil
}

// Int64s decodes an int64 TensorProto, whether its values sit in raw_data or int64_data.
func Int64s(t *pb.TensorProto) ([]int64, error) {
	if t.GetDataType() != int32(pb.TensorProto_INT64) {
		return nil, fmt.Errorf("%w: tensor %q has type %v, want INT64", ErrType, t.GetName(), pb.TensorProto_DataType(t.GetDataType()))
	}
	n, err := numElements(t.GetDims())
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.GetName(), err)
	}
	if raw := t.GetRawData(); len(raw) > 0 {
		if int64(len(raw)) != 8*n {
			return nil, fmt.Errorf("%w: tensor %q has %d raw bytes for %d int64s", ErrShape, t.GetName(), len(raw), n)
		}
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
		}
		return out, nil
	}
	if int64(len(t.GetInt64Data())) != n {
		return nil, fmt.Errorf("%w: tensor %q has %d int64s for dims %v", ErrShape, t.GetName(), len(t.GetInt64Data()), t.GetDims())
	}
	return append([]int64(nil), t.GetInt64Data()...), nil
}
