// Package counterdump reports a counter that grows in bursts (frames dropped at a live edge,
// failed webhook POSTs) at most once per period, as mediamtx's counterdumper does: a slow
// machine drops all the time, and a log line per drop would bury everything else.
package counterdump

import (
	"sync"
	"time"
)

// Dumper counts and reports. The first Add reports at once; later ones at most once per
// Period with what accumulated since; Flush reports the rest. Safe for concurrent use.
type Dumper struct {
	Period time.Duration
	// Report gets the growth since the last report and the total so far. It is called with the
	// Dumper's lock held: keep it short (a log line).
	Report func(delta, total uint64)

	mu      sync.Mutex
	total   uint64
	pending uint64
	last    time.Time
}

// Add counts n and reports when the period has passed since the last report.
func (d *Dumper) Add(n uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.total += n
	d.pending += n
	if now := time.Now(); d.last.IsZero() || now.Sub(d.last) >= d.Period {
		d.report(now)
	}
}

// Flush reports what was counted since the last report, if anything.
func (d *Dumper) Flush() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pending > 0 {
		d.report(time.Now())
	}
}

// Total is everything counted.
func (d *Dumper) Total() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.total
}

func (d *Dumper) report(now time.Time) {
	d.last = now
	if d.Report != nil {
		d.Report(d.pending, d.total)
	}
	d.pending = 0
}
