//go:build !linux

package pipeline

// lowerPriority does nothing where nice values are per process, not per thread.
func lowerPriority(int) error { return nil }
