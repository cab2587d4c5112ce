package capture

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/metaood/metaood/frame"
)

func TestLatestKeepsNewestAndCountsDrops(t *testing.T) {
	l := NewLatest()
	for i := range 5 {
		dropped := l.Put(&frame.Frame{Seq: uint64(i), Pix: make([]byte, 3)})
		if dropped != (i > 0) {
			t.Errorf("Put %d: dropped %v", i, dropped)
		}
	}
	ctx := context.Background()
	f, err := l.Get(ctx)
	if err != nil || f.Seq != 4 {
		t.Fatalf("Get = %v, %v; want the newest (4)", f, err)
	}
	if l.Drops() != 4 {
		t.Errorf("Drops = %d, want 4", l.Drops())
	}
	l.Put(&frame.Frame{Seq: 5})
	l.Close()
	if f, err := l.Get(ctx); err != nil || f.Seq != 5 {
		t.Fatalf("Get after Close = %v, %v; want the last frame", f, err)
	}
	if _, err := l.Get(ctx); !errors.Is(err, io.EOF) {
		t.Fatalf("Get on a closed, empty queue: %v, want EOF", err)
	}
}

func TestLatestGetWaits(t *testing.T) {
	l := NewLatest()
	got := make(chan uint64, 1)
	go func() {
		f, err := l.Get(context.Background())
		if err == nil {
			got <- f.Seq
		}
		close(got)
	}()
	select {
	case s := <-got:
		t.Fatalf("Get returned %d before any Put", s)
	case <-time.After(20 * time.Millisecond):
	}
	l.Put(&frame.Frame{Seq: 7})
	select {
	case s := <-got:
		if s != 7 {
			t.Fatalf("got %d, want 7", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Get did not wake on Put")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Get(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with a cancelled ctx: %v", err)
	}
}
