package record

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SegmentPath is the file of segment index of the recording path: NAME-0000.EXT, NAME-0001.EXT, …
func SegmentPath(path string, index int) string {
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s-%04d%s", strings.TrimSuffix(path, ext), index, ext)
}

// Retention says which closed recordings to delete: the oldest while all of them together take
// more than MaxBytes (the newest is always kept), and any older than MaxAge (by modification
// time). Zero turns a limit off.
type Retention struct {
	MaxBytes int64
	MaxAge   time.Duration
}

// Deleted is one file Apply removed, and why ("size" or "age").
type Deleted struct {
	Path, Why string
}

// Apply deletes from closed (oldest first) what the retention rules out and returns the files
// kept, the ones deleted, and the first deletion that failed (that file is dropped from the
// list all the same: it is not retried at every segment).
func (r Retention) Apply(closed []string, now time.Time) (kept []string, deleted []Deleted, err error) {
	if r.MaxBytes <= 0 && r.MaxAge <= 0 {
		return closed, nil, nil
	}
	sizes := make([]int64, len(closed))
	old := make([]bool, len(closed))
	var total int64
	for i, p := range closed {
		st, serr := os.Stat(p)
		if serr != nil {
			continue // gone already (deleted by hand): counts for nothing
		}
		sizes[i] = st.Size()
		total += sizes[i]
		old[i] = r.MaxAge > 0 && now.Sub(st.ModTime()) > r.MaxAge
	}
	remove := func(p, why string) {
		if rerr := os.Remove(p); rerr != nil && !os.IsNotExist(rerr) {
			if err == nil {
				err = fmt.Errorf("%w: deleting old recording %s: %v", ErrWebM, p, rerr)
			}
			return
		}
		deleted = append(deleted, Deleted{p, why})
	}
	for i, p := range closed {
		switch {
		case old[i]:
			remove(p, "age")
		case r.MaxBytes > 0 && total > r.MaxBytes && i < len(closed)-1:
			remove(p, "size")
		default:
			kept = append(kept, p)
			continue
		}
		total -= sizes[i]
	}
	return kept, deleted, err
}
