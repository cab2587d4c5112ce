package pipeline

import (
	"context"
	"sync"
	"syscall"
	"testing"

	"github.com/metaood/metaood/frame"
	"github.com/metaood/metaood/postproc"
)

// niceAnalyzer records the nice value of the thread each Analyze call runs on.
type niceAnalyzer struct {
	fakeAnalyzer
	mu   *sync.Mutex
	seen map[int]int // nice value → calls
}

func (a niceAnalyzer) Analyze(m *frame.Map) (*postproc.Result, error) {
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.seen[20-prio]++ // the raw syscall returns 20 − nice
	a.mu.Unlock()
	return a.fakeAnalyzer.Analyze(m)
}

func TestWorkerNice(t *testing.T) {
	base, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	cur := 20 - base // the raw syscall returns 20 − nice
	// The unchanged case comes last: the niced threads must have ended with their workers, so no
	// later goroutine runs on one.
	for _, tc := range []struct{ nice, want int }{{7, 7}, {19, 19}, {0, cur}} {
		if tc.nice > 0 && tc.nice < cur {
			continue // raising a priority needs privileges (the tests run under nice)
		}
		an := niceAnalyzer{mu: &sync.Mutex{}, seen: map[int]int{}}
		sum, err := Run(context.Background(), Config{Sources: []frame.Source{&fakeSource{id: "s", n: 12, w: 8, h: 8}},
			Segmenter: &fakeSeg{failAt: -1}, Analyzer: an, Workers: 3, WorkerNice: tc.nice, StatsEvery: -1})
		if err != nil || sum.Frames != 12 {
			t.Fatalf("nice %d: %d frames, err %v", tc.nice, sum.Frames, err)
		}
		if len(an.seen) != 1 || an.seen[tc.want] != 12 {
			t.Errorf("nice %d: Analyze ran at nice values %v, want all 12 at %d", tc.nice, an.seen, tc.want)
		}
	}
	// This goroutine's thread is untouched too.
	if now, _ := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid()); now != base {
		t.Errorf("test thread priority changed from %d to %d", base, now)
	}
}
