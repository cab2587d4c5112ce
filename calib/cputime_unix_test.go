//go:build unix

package calib

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time. On a shared machine benchmark wall time counts
// the waits for a core; CPU time per op is the cost of the work itself.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
