package progress

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// Not a terminal: plain lines, about one per tenth of the task, never a \r.
func TestLineInLogs(t *testing.T) {
	var b bytes.Buffer
	l := New(&b, 100)
	if l.Terminal() {
		t.Fatal("a buffer is not a terminal")
	}
	for i := 1; i <= 100; i++ {
		l.Update(i, fmt.Sprintf("step %d/100", i))
	}
	l.Done("done in 1 s")
	out := b.String()
	if strings.Contains(out, "\r") {
		t.Errorf("carriage return in a log: %q", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 12 || lines[0] != "step 1/100" || lines[10] != "step 100/100" || lines[11] != "done in 1 s" {
		t.Errorf("%d lines: %q", len(lines), lines)
	}
}

func TestNilWriter(t *testing.T) {
	l := New(nil, 3)
	l.Update(1, "x")
	l.Done("y")
	var nl *Line
	nl.Update(1, "x") // a nil Line shows nothing either
	nl.Done("")
}
