package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metaood/metaood/internal/sharedtest"
)

func TestRoundTripFloat32(t *testing.T) {
	for _, shape := range [][]int{{0}, {3}, {2, 3}, {19, 4, 5}, {}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(i)*0.25 - 3
		}
		var buf bytes.Buffer
		if err := WriteFloat32(&buf, data, shape...); err != nil {
			t.Fatal(err)
		}
		if (buf.Len()-n*4)%64 != 0 {
			t.Errorf("shape %v: data does not start on a 64-byte boundary", shape)
		}
		a, err := Read(&buf)
		if err != nil {
			t.Fatalf("shape %v: %v", shape, err)
		}
		if a.Descr != "<f4" || len(a.F32) != n || len(a.Shape) != len(shape) {
			t.Fatalf("shape %v: got %+v", shape, a.Header)
		}
		for i := range data {
			if a.F32[i] != data[i] {
				t.Fatalf("shape %v: value %d = %v, want %v", shape, i, a.F32[i], data[i])
			}
		}
	}
}

func TestWriteShapeMismatch(t *testing.T) {
	if err := WriteFloat32(&bytes.Buffer{}, make([]float32, 5), 2, 3); !errors.Is(err, ErrShape) {
		t.Fatalf("err = %v, want ErrShape", err)
	}
}

// file builds a .npy byte stream by hand (version v, header dict h, payload).
func file(v byte, h string, payload []byte) []byte {
	b := []byte(magic)
	b = append(b, v, 0)
	if v == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(h)))
	}
	return append(append(b, h...), payload...)
}

func TestReadDTypes(t *testing.T) {
	i16 := binary.LittleEndian.AppendUint16(nil, uint16(0xfffe)) // -2
	i16 = binary.LittleEndian.AppendUint16(i16, 7)
	cases := []struct {
		name    string
		data    []byte
		wantErr error
		check   func(*Array) bool
	}{
		{"uint8 v1", file(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }\n", []byte{1, 2, 255}), nil,
			func(a *Array) bool { return len(a.U8) == 3 && a.U8[2] == 255 }},
		{"int16 v2", file(2, "{'descr': '<i2', 'fortran_order': False, 'shape': (1, 2), }\n", i16), nil,
			func(a *Array) bool { return len(a.I16) == 2 && a.I16[0] == -2 && a.I16[1] == 7 }},
		{"float64", file(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n", make([]byte, 8)), ErrDType, nil},
		{"big-endian", file(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }\n", make([]byte, 4)), ErrDType, nil},
		{"fortran", file(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n", make([]byte, 4)), ErrFormat, nil},
		{"short data", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }\n", make([]byte, 8)), ErrFormat, nil},
		{"bad magic", []byte("PK\x03\x04 not numpy at all"), ErrFormat, nil},
		{"version 9", file(9, "{}", nil), ErrFormat, nil},
		{"no shape", file(1, "{'descr': '<f4', 'fortran_order': False}\n", nil), ErrFormat, nil},
		{"negative dim", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\n", nil), ErrShape, nil},
		{"huge dims", file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }\n", nil), ErrShape, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := Read(bytes.NewReader(c.data))
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(a) {
				t.Fatalf("unexpected array %+v", a)
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	h, err := ParseHeader(`{"descr": "<f4", "shape": (19, 24, 40), "fortran_order": False}`)
	if err != nil {
		t.Fatal(err)
	}
	if h.Descr != "<f4" || h.Len() != 19*24*40 || len(h.Shape) != 3 {
		t.Fatalf("got %+v", h)
	}
	if h, err := ParseHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (), }"); err != nil || h.Len() != 1 {
		t.Fatalf("0-d: %+v %v", h, err)
	}
}

func TestReadConformanceFixture(t *testing.T) {
	dir := sharedtest.Path(t, "conformance/cases/edge_gt_overlap")
	a, err := ReadFile(filepath.Join(dir, "probs.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Shape) != 3 || a.Shape[0] != 19 || a.Shape[1] != 24 || a.Shape[2] != 40 {
		t.Fatalf("shape %v", a.Shape)
	}
	var s float32
	for c := 0; c < 19; c++ {
		s += a.F32[c*24*40]
	}
	if s < 0.999 || s > 1.001 {
		t.Fatalf("pixel 0 sums to %v", s)
	}
	c, err := ReadFile(filepath.Join(dir, "components.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.I16) != 24*40 {
		t.Fatalf("components: %d values", len(c.I16))
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.npy")); err == nil || !strings.Contains(err.Error(), "missing.npy") {
		t.Fatalf("missing file: %v", err)
	}
}

func FuzzParseHeader(f *testing.F) {
	f.Add("{'descr': '<f4', 'fortran_order': False, 'shape': (19, 24, 40), }")
	f.Add("{'descr': '|u1', 'fortran_order': True, 'shape': (), }")
	f.Add("{'shape': (3,)")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHeader(s)
		if err != nil {
			return
		}
		if n := h.Len(); n < 0 || n > maxElems {
			t.Fatalf("accepted shape %v with %d elements", h.Shape, n)
		}
	})
}

func FuzzRead(f *testing.F) {
	f.Add(file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", make([]byte, 8)))
	f.Add(file(2, "{'descr': '<i2', 'fortran_order': False, 'shape': (1,), }\n", make([]byte, 2)))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		if got := len(a.F32) + len(a.U8) + len(a.I16); got != a.Len() {
			t.Fatalf("decoded %d values for shape %v", got, a.Shape)
		}
	})
}
