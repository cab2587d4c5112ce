package postproc

import (
	"sort"
	"strconv"
	"sync"
)

// NumMetrics returns N_m = 37 + 2C, the number of per-component metrics for C classes (75 for 19).
func NumMetrics(classes int) int { return 37 + 2*classes }

// Natural positions of the fixed metrics before sorting (see naturalNames).
const (
	natD     = 0  // D family: 10 values
	natE     = 10 // E family
	natV     = 20 // V family
	natS     = 30 // S, S_bd, S_in, S_rel, S_rel_in
	natCprob = 35 // C values, then mean_x, mean_y, then C ndist values
)

// familySuffixes are the 10 statistics of each heat map, in the order naturalNames lists them.
var familySuffixes = [10]string{"", "_bd", "_in", "_rel", "_rel_in", "_var", "_var_bd", "_var_in", "_var_rel", "_var_rel_in"}

// naturalNames lists the metrics in the order the code computes them.
func naturalNames(classes int) []string {
	names := make([]string, 0, NumMetrics(classes))
	for _, h := range []string{"D", "E", "V"} {
		for _, s := range familySuffixes {
			names = append(names, h+s)
		}
	}
	names = append(names, "S", "S_bd", "S_in", "S_rel", "S_rel_in")
	for c := 0; c < classes; c++ {
		names = append(names, "cprob"+strconv.Itoa(c))
	}
	names = append(names, "mean_x", "mean_y")
	for c := 0; c < classes; c++ {
		names = append(names, "ndist"+strconv.Itoa(c))
	}
	return names
}

// layout maps natural positions to columns: the reference sorts the metric names with Python's
// sorted(), byte-wise (upper case first, "cprob10" before "cprob2"), docs/METHOD.md §3.
type layout struct {
	names []string // sorted: the column order
	col   []int    // col[natural position] = column
}

var layouts sync.Map // int (classes) → *layout

func layoutFor(classes int) *layout {
	if l, ok := layouts.Load(classes); ok {
		return l.(*layout)
	}
	nat := naturalNames(classes)
	idx := make([]int, len(nat))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return nat[idx[a]] < nat[idx[b]] })
	l := &layout{names: make([]string, len(nat)), col: make([]int, len(nat))}
	for c, n := range idx {
		l.names[c] = nat[n]
		l.col[n] = c
	}
	v, _ := layouts.LoadOrStore(classes, l)
	return v.(*layout)
}

// MetricNames returns the 37+2C metric names in docs/METHOD.md §3 column order (a fresh slice).
func MetricNames(classes int) []string {
	return append([]string(nil), layoutFor(classes).names...)
}
