package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/metaood/metaood/frame"
)

func fr(src string, seq uint64) *frame.Frame { return &frame.Frame{Source: src, Seq: seq} }

func seqs(fs []*frame.Frame) []uint64 {
	out := make([]uint64, len(fs))
	for i, f := range fs {
		out[i] = f.Seq
	}
	return out
}

func TestEdgeReplayBlocksWhenFull(t *testing.T) {
	e := newEdge(func(*frame.Frame) { t.Error("a replay frame was dropped") })
	s := e.add("file", false, 2)
	ctx := context.Background()
	e.put(ctx, s, fr("file", 0))
	e.put(ctx, s, fr("file", 1))
	put := make(chan bool)
	go func() { put <- e.put(ctx, s, fr("file", 2)) }()
	select {
	case <-put:
		t.Fatal("put into a full replay slot returned: it must wait for room")
	case <-time.After(20 * time.Millisecond):
	}
	if got := seqs(e.take(ctx, 8, nil)); len(got) != 2 || got[0] != 0 || got[1] != 1 {
		t.Fatalf("take = %v, want [0 1]", got)
	}
	if !<-put {
		t.Fatal("put failed after room was made")
	}
	e.close(s)
	if got := seqs(e.take(ctx, 8, nil)); len(got) != 1 || got[0] != 2 {
		t.Fatalf("take after close = %v, want [2]: a closed slot's frames are still taken", got)
	}
	if got := e.take(ctx, 8, nil); got != nil {
		t.Fatalf("take on closed, empty edge = %v, want nil", got)
	}
}

func TestEdgeLiveNewestWinsExceptBeforeAnEvent(t *testing.T) {
	var dropped []uint64
	e := newEdge(func(f *frame.Frame) { dropped = append(dropped, f.Seq) })
	s := e.add("cam", true, 4)
	ctx := context.Background()
	for i := range uint64(3) {
		e.put(ctx, s, fr("cam", i))
	}
	if after := e.mark(s); after != 1 { // an event now: it follows frame 2, which stays
		t.Fatalf("mark = %d, want 1 (frame 2 is queued)", after)
	}
	e.put(ctx, s, fr("cam", 3))
	e.put(ctx, s, fr("cam", 4))
	if got := seqs(e.take(ctx, 8, nil)); len(got) != 2 || got[0] != 2 || got[1] != 4 {
		t.Fatalf("take = %v, want [2 4]", got)
	}
	if len(dropped) != 3 || dropped[0] != 0 || dropped[1] != 1 || dropped[2] != 3 {
		t.Fatalf("dropped %v, want [0 1 3]", dropped)
	}
	// Closed: a put is refused (the caller recycles the frame).
	e.close(s)
	if e.put(ctx, s, fr("cam", 5)) {
		t.Fatal("put into a closed slot succeeded")
	}
}

func TestEdgeRoundRobinAndCancel(t *testing.T) {
	e := newEdge(func(*frame.Frame) {})
	a, b := e.add("a", false, 4), e.add("b", false, 4)
	ctx, cancel := context.WithCancel(context.Background())
	for i := range uint64(2) {
		e.put(ctx, a, fr("a", i))
		e.put(ctx, b, fr("b", i))
	}
	first := e.take(ctx, 1, nil)[0].Source
	second := e.take(ctx, 1, nil)[0].Source
	if first == second {
		t.Errorf("two takes of one frame both from %q: the sources must take turns", first)
	}
	if got := e.take(ctx, 8, nil); len(got) != 2 {
		t.Fatalf("take = %v, want the 2 frames left", seqs(got))
	}
	done := make(chan []*frame.Frame)
	go func() { done <- e.take(ctx, 8, nil) }()
	cancel()
	if got := <-done; got != nil {
		t.Fatalf("take after cancel = %v, want nil", got)
	}
}
