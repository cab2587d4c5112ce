package pipeline

import (
	"runtime"
	"syscall"
)

// lowerPriority locks the calling goroutine to its OS thread and sets that thread's nice value to
// n (Linux nice values are per thread). The goroutine must not unlock: when it returns, the Go
// runtime ends the thread, so the lowered priority never reaches other goroutines.
func lowerPriority(n int) error {
	runtime.LockOSThread()
	return syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), n)
}
