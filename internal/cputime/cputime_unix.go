//go:build unix

// Package cputime reads the CPU time the process has used. On a shared machine wall time counts
// the waits for a core; CPU time per operation is the cost of the work itself, which is what
// benchmarks and `metaood bench` report.
package cputime

import (
	"syscall"
	"time"
)

// Process is the user + system CPU time of the whole process so far (every thread, ONNX
// Runtime's included), or 0 when the system cannot say.
func Process() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
