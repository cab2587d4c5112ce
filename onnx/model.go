package onnx

import (
	"fmt"
	"os"

	"google.golang.org/protobuf/proto"

	"github.com/metaood/metaood/onnx/pb"
)

// Model is an ONNX model in memory. Proto is exposed for edits this package does not cover.
type Model struct {
	Proto *pb.ModelProto
}

// Load parses ONNX bytes. It fails with ErrModel on bytes that are not a model with a graph.
func Load(data []byte) (*Model, error) {
	m := &pb.ModelProto{}
	if err := proto.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModel, err)
	}
	if m.GetGraph() == nil || len(m.GetOpsetImport()) == 0 {
		return nil, fmt.Errorf("%w: no graph or no opset import (%d bytes)", ErrModel, len(data))
	}
	return &Model{Proto: m}, nil
}

// LoadFile reads and parses an ONNX file; errors name the file.
func LoadFile(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: read model: %w", err)
	}
	m, err := Load(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (is it an .onnx file?)", path, err)
	}
	return m, nil
}

// Marshal encodes the model deterministically (same model → same bytes).
func (m *Model) Marshal() ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m.Proto)
}

// Save writes the model to path.
func (m *Model) Save(path string) error {
	data, err := m.Marshal()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("onnx: save model: %w", err)
	}
	return nil
}

// Inputs returns the names of the graph inputs that are not initializers (what a caller feeds).
func (m *Model) Inputs() []string {
	inits := map[string]bool{}
	for _, t := range m.Proto.GetGraph().GetInitializer() {
		inits[t.GetName()] = true
	}
	var out []string
	for _, v := range m.Proto.GetGraph().GetInput() {
		if !inits[v.GetName()] {
			out = append(out, v.GetName())
		}
	}
	return out
}

// Outputs returns the names of the graph outputs in order.
func (m *Model) Outputs() []string {
	var out []string
	for _, v := range m.Proto.GetGraph().GetOutput() {
		out = append(out, v.GetName())
	}
	return out
}

// Metadata returns the value of metadata key, and whether it is present.
func (m *Model) Metadata(key string) (string, bool) {
	for _, p := range m.Proto.GetMetadataProps() {
		if p.GetKey() == key {
			return p.GetValue(), true
		}
	}
	return "", false
}

// AddOutput exposes the value name (a node output, input or initializer) as an extra graph
// output, e.g. to read intermediate features. Its type comes from value_info when known; else
// it is declared float32 with the shape left to the runtime.
func (m *Model) AddOutput(name string) error {
	g := m.Proto.GetGraph()
	for _, o := range g.GetOutput() {
		if o.GetName() == name {
			return fmt.Errorf("%w: %q is already an output", ErrDuplicate, name)
		}
	}
	for _, v := range g.GetValueInfo() {
		if v.GetName() == name {
			g.Output = append(g.Output, proto.Clone(v).(*pb.ValueInfoProto))
			return nil
		}
	}
	if !m.has(name) {
		return fmt.Errorf("%w: no node, input or initializer produces %q", ErrUnknown, name)
	}
	g.Output = append(g.Output, valueInfo(name, pb.TensorProto_FLOAT, nil))
	return nil
}

// has reports whether name is a graph input, an initializer or a node output.
func (m *Model) has(name string) bool {
	g := m.Proto.GetGraph()
	for _, v := range g.GetInput() {
		if v.GetName() == name {
			return true
		}
	}
	for _, t := range g.GetInitializer() {
		if t.GetName() == name {
			return true
		}
	}
	for _, n := range g.GetNode() {
		for _, o := range n.GetOutput() {
			if o == name {
				return true
			}
		}
	}
	return false
}

// initializer finds the initializer called name.
func (m *Model) initializer(name string) (*pb.TensorProto, error) {
	for _, t := range m.Proto.GetGraph().GetInitializer() {
		if t.GetName() == name {
			return t, nil
		}
	}
	return nil, fmt.Errorf("%w: no initializer %q", ErrUnknown, name)
}

// Initializer returns the dims and values of the float32 initializer name.
func (m *Model) Initializer(name string) (dims []int64, data []float32, err error) {
	t, err := m.initializer(name)
	if err != nil {
		return nil, nil, err
	}
	data, err = Floats(t)
	if err != nil {
		return nil, nil, err
	}
	return append([]int64(nil), t.GetDims()...), data, nil
}

// ReplaceInitializer overwrites the values of the float32 initializer name, keeping its dims;
// data must have exactly as many elements.
func (m *Model) ReplaceInitializer(name string, data []float32) error {
	t, err := m.initializer(name)
	if err != nil {
		return err
	}
	if t.GetDataType() != int32(pb.TensorProto_FLOAT) {
		return fmt.Errorf("%w: initializer %q is %v, not FLOAT", ErrType, name, pb.TensorProto_DataType(t.GetDataType()))
	}
	nt, err := FloatTensor(name, t.GetDims(), data)
	if err != nil {
		return fmt.Errorf("replace initializer: %w", err)
	}
	t.RawData, t.FloatData = nt.RawData, nil
	return nil
}
