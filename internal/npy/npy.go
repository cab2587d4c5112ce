// Package npy reads and writes NumPy .npy arrays: float32, uint8 and int16, C order,
// little-endian, format versions 1.0, 2.0 and 3.0. It is pure Go and allocation-light:
// the payload is decoded straight into the returned slice.
package npy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// magic opens every .npy file.
const magic = "\x93NUMPY"

// maxHeader bounds the header length we accept, so a corrupt length cannot make us allocate gigabytes.
const maxHeader = 1 << 20

// Header is the parsed dictionary of a .npy file.
type Header struct {
	Descr   string // e.g. "<f4", "|u1", "<i2"
	Fortran bool   // fortran_order
	Shape   []int
}

// Len returns the number of elements the shape describes (1 for a 0-d array).
func (h Header) Len() int {
	n := 1
	for _, d := range h.Shape {
		n *= d
	}
	return n
}

// Array is a decoded array. Exactly one of the data slices is set, matching Descr.
type Array struct {
	Header
	F32 []float32
	U8  []uint8
	I16 []int16
}

// ReadFile reads the .npy file at path. Errors name the file.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := Read(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Read decodes one .npy array from r.
func Read(r io.Reader) (*Array, error) {
	h, err := ReadHeader(r)
	if err != nil {
		return nil, err
	}
	if h.Fortran {
		return nil, fmt.Errorf("%w: fortran_order arrays are not supported; save with np.ascontiguousarray", ErrFormat)
	}
	n := h.Len()
	a := &Array{Header: h}
	switch h.Descr {
	case "<f4":
		a.F32, err = readElems(r, n, 4, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) })
	case "|u1", "<u1", "|b1":
		a.U8, err = readElems(r, n, 1, func(b []byte) uint8 { return b[0] })
	case "<i2":
		a.I16, err = readElems(r, n, 2, func(b []byte) int16 { return int16(binary.LittleEndian.Uint16(b)) })
	default:
		return nil, fmt.Errorf("%w %q (want float32 <f4, uint8 |u1 or int16 <i2, little-endian)", ErrDType, h.Descr)
	}
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("%w: data shorter than shape %v says", ErrFormat, h.Shape)
		}
		return nil, err
	}
	return a, nil
}

// readElems decodes n little-endian elements of size bytes each. The slice grows with the data that
// actually arrives, so a header that claims a huge shape over a short stream cannot exhaust memory.
func readElems[T any](r io.Reader, n, size int, dec func([]byte) T) ([]T, error) {
	const chunk = 1 << 16 // bytes per read; a multiple of every element size
	out := make([]T, 0, min(n, 1<<22))
	buf := make([]byte, min(chunk, n*size))
	for len(out) < n {
		b := buf[:min(len(buf), (n-len(out))*size)]
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		for i := 0; i < len(b); i += size {
			out = append(out, dec(b[i:i+size]))
		}
	}
	return out, nil
}
