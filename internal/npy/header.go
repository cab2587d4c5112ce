package npy

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ReadHeader reads the magic, version and header dictionary, leaving r at the first data byte.
func ReadHeader(r io.Reader) (Header, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return Header{}, fmt.Errorf("%w: too short for the magic string", ErrFormat)
	}
	if string(pre[:6]) != magic {
		return Header{}, fmt.Errorf("%w: no \\x93NUMPY magic", ErrFormat)
	}
	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Header{}, fmt.Errorf("%w: truncated header length", ErrFormat)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Header{}, fmt.Errorf("%w: truncated header length", ErrFormat)
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return Header{}, fmt.Errorf("%w: format version %d.%d not supported", ErrFormat, pre[6], pre[7])
	}
	if hlen > maxHeader {
		return Header{}, fmt.Errorf("%w: header length %d too large", ErrFormat, hlen)
	}
	buf := make([]byte, hlen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return Header{}, fmt.Errorf("%w: truncated header", ErrFormat)
	}
	return ParseHeader(string(buf))
}

// ParseHeader parses the Python dict literal of a .npy header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (19, 24, 40), }.
func ParseHeader(s string) (Header, error) {
	var h Header
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return h, fmt.Errorf("%w: header is not a dict", ErrFormat)
	}
	body := s[1 : len(s)-1]
	seen := map[string]bool{}
	for {
		body = strings.TrimLeft(body, " \t\n,")
		if body == "" {
			break
		}
		key, rest, err := parseString(body)
		if err != nil {
			return h, err
		}
		rest = strings.TrimLeft(rest, " \t\n")
		if !strings.HasPrefix(rest, ":") {
			return h, fmt.Errorf("%w: missing ':' after key %q", ErrFormat, key)
		}
		rest = strings.TrimLeft(rest[1:], " \t\n")
		if seen[key] {
			return h, fmt.Errorf("%w: key %q twice", ErrFormat, key)
		}
		seen[key] = true
		switch key {
		case "descr":
			h.Descr, rest, err = parseString(rest)
		case "fortran_order":
			switch {
			case strings.HasPrefix(rest, "False"):
				h.Fortran, rest = false, rest[5:]
			case strings.HasPrefix(rest, "True"):
				h.Fortran, rest = true, rest[4:]
			default:
				err = fmt.Errorf("%w: fortran_order is not True or False", ErrFormat)
			}
		case "shape":
			h.Shape, rest, err = parseShape(rest)
		default:
			err = fmt.Errorf("%w: unknown header key %q", ErrFormat, key)
		}
		if err != nil {
			return h, err
		}
		body = rest
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, fmt.Errorf("%w: header lacks %q", ErrFormat, k)
		}
	}
	return h, nil
}

// parseString reads a quoted Python string (no escapes: none occur in .npy headers).
func parseString(s string) (string, string, error) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", s, fmt.Errorf("%w: expected a quoted string", ErrFormat)
	}
	end := strings.IndexByte(s[1:], s[0])
	if end < 0 {
		return "", s, fmt.Errorf("%w: unterminated string", ErrFormat)
	}
	return s[1 : 1+end], s[2+end:], nil
}

// maxElems bounds the element count so that a hostile header cannot make Read allocate without limit.
const maxElems = 1 << 34

// parseShape reads a Python tuple of non-negative ints: (), (5,), (19, 24, 40).
func parseShape(s string) ([]int, string, error) {
	if !strings.HasPrefix(s, "(") {
		return nil, s, fmt.Errorf("%w: shape is not a tuple", ErrShape)
	}
	end := strings.IndexByte(s, ')')
	if end < 0 {
		return nil, s, fmt.Errorf("%w: unterminated shape tuple", ErrShape)
	}
	shape := []int{}
	total := 1
	for _, f := range strings.Split(s[1:end], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		f = strings.TrimSuffix(f, "L") // Python 2 longs
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 {
			return nil, s, fmt.Errorf("%w: dimension %q is not a non-negative integer", ErrShape, f)
		}
		if d > 0 && total > maxElems/d {
			return nil, s, fmt.Errorf("%w: %s has too many elements", ErrShape, s[:end+1])
		}
		total *= d
		shape = append(shape, d)
	}
	return shape, s[end+1:], nil
}
