package postproc

import (
	"math"
	"strconv"
)

// naive is a deliberately plain float64 re-statement of the rules in the conformance README
// (flood fill, direct definitions, maps by name). The fast Processor must agree with it.
type naive struct {
	labels []int32              // +k interior, −k boundary
	rows   []map[string]float64 // per component, by metric name, plus "iou", "iou0"
	gt     []GTComponent        // GT components (Area, Overlap, IoU, IoU0 set)
}

func runNaive(c, h, w int, probs []float32, gt []uint8, ignore []bool, o Options) *naive {
	o = o.withDefaults()
	hw := h * w
	p := func(k, i int) float64 { return float64(probs[k*hw+i]) }
	seg := make([]bool, hw)
	isGT := make([]bool, hw)
	argmax := make([]int, hw)
	for i := 0; i < hw; i++ {
		var s, ent float64
		for k := 0; k < c; k++ {
			s += p(k, i)
			if p(k, i) > p(argmax[i], i) {
				argmax[i] = k
			}
		}
		for k := 0; k < c; k++ {
			if q := p(k, i) / s; q > 0 {
				ent -= q * math.Log(q)
			}
		}
		seg[i] = ent/math.Log(float64(c)) >= float64(o.Threshold)
		if ignore != nil && ignore[i] {
			seg[i] = false
		}
		if gt != nil {
			if gt[i] == o.IgnoreLabel {
				seg[i] = false
			}
			isGT[i] = gt[i] == o.OODLabel
		}
	}
	neighbours := func(i int, f func(j int)) {
		y, x := i/w, i%w
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				if (dy != 0 || dx != 0) && y+dy >= 0 && y+dy < h && x+dx >= 0 && x+dx < w {
					f((y+dy)*w + x + dx)
				}
			}
		}
	}
	// components returns the 8-connected components of set, in row-major order of first pixel.
	components := func(set []bool) [][]int {
		seen := make([]bool, hw)
		var comps [][]int
		for i := 0; i < hw; i++ {
			if !set[i] || seen[i] {
				continue
			}
			comp, stack := []int{}, []int{i}
			seen[i] = true
			for len(stack) > 0 {
				z := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				comp = append(comp, z)
				neighbours(z, func(j int) {
					if set[j] && !seen[j] {
						seen[j] = true
						stack = append(stack, j)
					}
				})
			}
			comps = append(comps, comp)
		}
		return comps
	}
	// reach counts the pixels of `through` reachable from comp's pixels by 8-steps inside `through`.
	reach := func(comp []int, through []bool) int {
		seen := make([]bool, hw)
		var stack []int
		for _, z := range comp {
			neighbours(z, func(j int) {
				if through[j] && !seen[j] {
					seen[j] = true
					stack = append(stack, j)
				}
			})
		}
		n := 0
		for len(stack) > 0 {
			z := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n++
			neighbours(z, func(j int) {
				if through[j] && !seen[j] {
					seen[j] = true
					stack = append(stack, j)
				}
			})
		}
		return n
	}
	gtNotSeg, segNotGT := make([]bool, hw), make([]bool, hw)
	for i := range seg {
		gtNotSeg[i] = isGT[i] && !seg[i]
		segNotGT[i] = seg[i] && !isGT[i]
	}
	out := &naive{labels: make([]int32, hw)}
	for k, comp := range components(seg) {
		row := map[string]float64{}
		sums := map[string]float64{}
		nd := make([]float64, c)
		var nin, nbd, inter float64
		for _, z := range comp {
			bd := false
			neighbours(z, func(j int) {
				if !seg[j] {
					bd = true
					nd[argmax[j]]++
				}
			})
			part := "in"
			if bd {
				part = "bd"
				nbd++
				out.labels[z] = int32(-(k + 1))
			} else {
				nin++
				out.labels[z] = int32(k + 1)
			}
			var e, p1, p2 float64
			for cl := 0; cl < c; cl++ {
				v := p(cl, z)
				e += v * math.Log(v+eps32)
				row["cprob"+strconv.Itoa(cl)] += v
				if v > p1 {
					p1, p2 = v, p1
				} else if v > p2 {
					p2 = v
				}
			}
			vals := map[string]float64{"E": e / math.Log(1/float64(c)), "D": 1 - p1 + p2, "V": 1 - p1}
			for hname, v := range vals {
				sums[hname+part] += v
				sums[hname+part+"2"] += v * v
			}
			row["mean_x"] += float64(z / w)
			row["mean_y"] += float64(z % w)
			if isGT[z] {
				inter++
			}
		}
		s := nin + nbd
		div := func(a, b float64) float64 {
			if b == 0 {
				return 0
			}
			return a / b
		}
		row["S"], row["S_in"], row["S_bd"] = s, nin, nbd
		row["S_rel"], row["S_rel_in"] = div(s, nbd), div(nin, nbd)
		for _, hname := range []string{"D", "E", "V"} {
			in, bd := sums[hname+"in"], sums[hname+"bd"]
			in2, bd2 := sums[hname+"in2"], sums[hname+"bd2"]
			mean := (in + bd) / s
			row[hname] = mean
			row[hname+"_in"] = div(in, nin)
			row[hname+"_bd"] = div(bd, nbd)
			row[hname+"_var"] = (in2+bd2)/s - mean*mean
			row[hname+"_var_in"] = 0
			if nin > 0 {
				row[hname+"_var_in"] = in2/nin - row[hname+"_in"]*row[hname+"_in"]
			}
			row[hname+"_var_bd"] = 0
			if nbd > 0 {
				row[hname+"_var_bd"] = bd2/nbd - row[hname+"_bd"]*row[hname+"_bd"]
			}
			row[hname+"_rel"] = mean * row["S_rel"]
			row[hname+"_rel_in"] = row[hname+"_in"] * row["S_rel_in"]
			row[hname+"_var_rel"] = row[hname+"_var"] * row["S_rel"]
			row[hname+"_var_rel_in"] = row[hname+"_var_in"] * row["S_rel_in"]
		}
		for cl := 0; cl < c; cl++ {
			row["cprob"+strconv.Itoa(cl)] /= s
		}
		row["mean_x"] /= s
		row["mean_y"] /= s
		var tot float64
		for _, v := range nd {
			tot += v
		}
		for cl, v := range nd {
			row["ndist"+strconv.Itoa(cl)] = v / math.Max(tot, 1)
		}
		if inter == 0 {
			row["iou"], row["iou0"] = 0, 1
		} else {
			row["iou"], row["iou0"] = inter/(s+float64(reach(comp, gtNotSeg))), 0
		}
		out.rows = append(out.rows, row)
	}
	if gt != nil {
		for k, comp := range components(isGT) {
			g := GTComponent{ID: k + 1, Area: len(comp)}
			for _, z := range comp {
				if seg[z] {
					g.Overlap++
				}
			}
			if g.Overlap == 0 {
				g.IoU0 = 1
			} else {
				g.IoU = float64(g.Overlap) / float64(len(comp)+reach(comp, segNotGT))
			}
			out.gt = append(out.gt, g)
		}
	}
	return out
}
