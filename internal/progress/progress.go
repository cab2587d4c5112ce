// Package progress is the one progress display of metaood's long commands (replays, training,
// evaluation, cross-validation). On a terminal it redraws one line with \r, at most four times
// a second; anywhere else (a file, a pipe, CI logs) it prints a plain line about every 10 % so
// that logs stay readable.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// IsTerminal reports whether w is a character device (a terminal).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Line shows the progress of one task of total steps (0: unknown). Safe for concurrent use.
type Line struct {
	w         io.Writer
	tty       bool
	total     int
	mu        sync.Mutex
	last      time.Time
	lastTenth int
	drawn     bool
}

// New returns a Line writing to w; nil w gives a Line that shows nothing.
func New(w io.Writer, total int) *Line {
	return &Line{w: w, tty: w != nil && IsTerminal(w), total: total, lastTenth: -1}
}

// SetTotal sets the number of steps when it becomes known after New.
func (l *Line) SetTotal(total int) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.total = total
	l.mu.Unlock()
}

// Terminal reports whether the line is redrawn in place.
func (l *Line) Terminal() bool { return l.tty }

// Update shows step done of the total with a message ("epoch 2/5 loss 0.41").
func (l *Line) Update(done int, msg string) {
	if l == nil || l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if l.tty {
		if now.Sub(l.last) < 250*time.Millisecond && done != l.total {
			return
		}
		l.last, l.drawn = now, true
		fmt.Fprintf(l.w, "\r%s  \033[K", msg)
		return
	}
	tenth := -1
	if l.total > 0 {
		tenth = 10 * done / l.total
	}
	if tenth == l.lastTenth || (l.total <= 0 && now.Sub(l.last) < 10*time.Second) {
		return
	}
	l.last, l.lastTenth = now, tenth
	fmt.Fprintln(l.w, msg)
}

// Done ends the line with a final message ("" keeps the last one).
func (l *Line) Done(msg string) {
	if l == nil || l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.tty && msg != "":
		fmt.Fprintf(l.w, "\r%s\033[K\n", msg)
	case l.tty && l.drawn:
		fmt.Fprintln(l.w)
	case msg != "":
		fmt.Fprintln(l.w, msg)
	}
	l.drawn = false
}
