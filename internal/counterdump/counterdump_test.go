package counterdump

import (
	"sync"
	"testing"
	"time"
)

func TestDumperReportsFirstThenPerPeriodThenRest(t *testing.T) {
	var got [][2]uint64
	d := &Dumper{Period: time.Hour, Report: func(delta, total uint64) { got = append(got, [2]uint64{delta, total}) }}
	d.Add(1) // first: at once
	d.Add(2) // within the period: held
	d.Add(3)
	if len(got) != 1 || got[0] != [2]uint64{1, 1} {
		t.Fatalf("after three adds within a period: %v, want [[1 1]]", got)
	}
	d.Flush()
	if len(got) != 2 || got[1] != [2]uint64{5, 6} {
		t.Fatalf("after Flush: %v, want the held 5 of a total 6", got)
	}
	d.Flush() // nothing pending: no report
	if len(got) != 2 || d.Total() != 6 {
		t.Fatalf("empty Flush reported: %v (total %d)", got, d.Total())
	}
}

func TestDumperPeriodElapsed(t *testing.T) {
	n := 0
	d := &Dumper{Period: time.Millisecond, Report: func(uint64, uint64) { n++ }}
	d.Add(1)
	time.Sleep(3 * time.Millisecond)
	d.Add(1)
	if n != 2 {
		t.Fatalf("%d reports, want 2 (the period passed between the adds)", n)
	}
}

func TestDumperConcurrent(t *testing.T) {
	var mu sync.Mutex
	var reported uint64
	d := &Dumper{Period: time.Microsecond, Report: func(delta, _ uint64) { mu.Lock(); reported += delta; mu.Unlock() }}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				d.Add(1)
			}
		})
	}
	wg.Wait()
	d.Flush()
	if reported != 8000 || d.Total() != 8000 {
		t.Fatalf("reported %d, total %d; want 8000 both", reported, d.Total())
	}
}
