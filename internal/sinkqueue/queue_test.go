package sinkqueue

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// drain pops everything queued (the queue is closed first) as "name" or "name!" for critical.
func drain(q *Queue[string]) string {
	q.Close()
	var out []string
	for {
		v, crit, ok := q.Pop(context.Background())
		if !ok {
			return strings.Join(out, " ")
		}
		if crit {
			v += "!"
		}
		out = append(out, v)
	}
}

func TestPushEvictsRoutineForCritical(t *testing.T) {
	// Each push is "name" (routine) or "name!" (critical); want is what the queue then holds in
	// order and lost the losses as pushed-name:lost-count[c when the lost item was critical].
	cases := []struct {
		name   string
		limit  int
		pushes string
		want   string
		lost   string
	}{
		{"room for all", 3, "a b! c", "a b! c", ""},
		{"routine refused when full", 2, "a b c", "a b", "c:1"},
		{"critical evicts the oldest routine", 3, "a b! c d!", "b! c d!", "d!:1"},
		{"critical refused when all critical", 2, "a! b! c!", "a! b!", "c!:1c"},
		{"routine refused even among critical", 2, "a! b c", "a! b", "c:1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := New[string](c.limit)
			var lost []string
			for _, p := range strings.Fields(c.pushes) {
				name, crit := strings.CutSuffix(p, "!")
				if n, lc := q.Push(name, crit); n > 0 {
					s := fmt.Sprintf("%s:%d", p, n)
					if lc {
						s += "c"
					}
					lost = append(lost, s)
				}
			}
			if got := strings.Join(lost, " "); got != c.lost {
				t.Errorf("lost %q, want %q", got, c.lost)
			}
			if got := drain(q); got != c.want {
				t.Errorf("queue holds %q, want %q", got, c.want)
			}
		})
	}
}

func TestPopWaitsAndEnds(t *testing.T) {
	q := New[int](4)
	got := make(chan int, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			v, _, ok := q.Pop(context.Background())
			if !ok {
				return
			}
			got <- v
		}
	}()
	q.Push(1, false)
	select {
	case v := <-got:
		if v != 1 {
			t.Fatalf("popped %d, want 1", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Pop did not wake for a push")
	}
	q.Push(2, true)
	q.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Pop did not end after Close")
	}
	if v := <-got; v != 2 {
		t.Errorf("popped %d after close, want the queued 2", v)
	}
	if n, _ := q.Push(3, false); n != 1 {
		t.Error("a closed queue took an item")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, ok := New[int](1).Pop(ctx); ok {
		t.Error("Pop on an empty queue returned an item after ctx ended")
	}
}
