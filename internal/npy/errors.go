package npy

import "errors"

// Sentinel errors; every returned error wraps one of them and names the file where known.
var (
	// ErrFormat means the bytes are not a NumPy .npy file this package understands.
	ErrFormat = errors.New("not a valid .npy file")
	// ErrDType means the array's dtype is not the one asked for (or not supported at all).
	ErrDType = errors.New("unsupported dtype")
	// ErrShape means the array's shape does not fit the data or the caller's expectation.
	ErrShape = errors.New("bad shape")
)
