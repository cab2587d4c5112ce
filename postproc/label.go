package postproc

import "encoding/binary"

// Bits of the padded pixel map (pixMap) that the labelling passes read.
const (
	bitSeg = 1 << 0 // predicted anomaly after ignore removal ("seg" of the reference)
	bitGT  = 1 << 1 // ground-truth anomaly (GT == OODLabel)
	bitOut = 1 << 7 // the one-pixel frame around the image: never matches, never a boundary neighbour
)

// run is a horizontal stretch [x0, x1) of matching pixels in row y, and the component it belongs to.
type run struct {
	y, x0, x1 int32
	comp      int32 // 1-based component number, in row-major order of the component's first pixel
}

// labeller finds 8-connected components as runs joined by union-find. Its slices are reused
// from frame to frame, so steady state does not allocate.
type labeller struct {
	runs   []run
	parent []int32
	n      int // number of components
}

// label finds the 8-connected components of the pixels whose map byte b has b&and == eq (eq ≠ 0,
// eq ⊆ and). pm is the padded (h+2)×(w+2) map. Components are numbered 1.. in row-major order of
// their first pixel, the reference's order, because a union keeps the earliest run as the root.
func (l *labeller) label(pm []uint8, w, h int, and, eq uint8) {
	l.runs = l.runs[:0]
	l.parent = l.parent[:0]
	pw := w + 2
	rep := uint64(and) * 0x0101010101010101
	prev0, prev1 := 0, 0 // runs of the previous row: l.runs[prev0:prev1]
	for y := 0; y < h; y++ {
		row := pm[(y+1)*pw+1 : (y+1)*pw+1+w]
		cur0 := len(l.runs)
		j := prev0
		for x := 0; x < w; {
			// Skip 8 pixels at a time where none has a bit of `and`: most of a frame.
			if x+8 <= w && binary.LittleEndian.Uint64(row[x:])&rep == 0 {
				x += 8
				continue
			}
			if row[x]&and != eq {
				x++
				continue
			}
			x0 := x
			for x < w && row[x]&and == eq {
				x++
			}
			idx := int32(len(l.runs))
			l.runs = append(l.runs, run{y: int32(y), x0: int32(x0), x1: int32(x)})
			l.parent = append(l.parent, idx)
			// 8-connected to a previous-row run [a, b) iff b ≥ x0 and a ≤ x.
			for j < prev1 && int(l.runs[j].x1) < x0 {
				j++
			}
			for k := j; k < prev1 && int(l.runs[k].x0) <= x; k++ {
				l.union(idx, int32(k))
			}
		}
		prev0, prev1 = cur0, len(l.runs)
	}
	l.n = 0
	for i := range l.runs {
		r := l.find(int32(i))
		if int(r) == i {
			l.n++
			l.runs[i].comp = int32(l.n)
		} else {
			l.runs[i].comp = l.runs[r].comp // the root is an earlier run: already numbered
		}
	}
}

func (l *labeller) find(i int32) int32 {
	p := l.parent
	for p[i] != i {
		p[i] = p[p[i]] // path halving
		i = p[i]
	}
	return i
}

func (l *labeller) union(a, b int32) {
	ra, rb := l.find(a), l.find(b)
	if ra == rb {
		return
	}
	if ra < rb {
		l.parent[rb] = ra
	} else {
		l.parent[ra] = rb
	}
}
