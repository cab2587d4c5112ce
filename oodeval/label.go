package oodeval

// label8 numbers the 8-connected components of the pixels where in is true (w×h, row-major) as
// 1…n in row-major order of their first pixel, as scipy.ndimage.label with a 3×3 structure does;
// 0 elsewhere. It returns the label map and n.
func label8(in []bool, w, h int) ([]int32, int) {
	lab := make([]int32, w*h)
	var stack []int32
	n := int32(0)
	for start, on := range in {
		if !on || lab[start] != 0 {
			continue
		}
		n++
		lab[start] = n
		stack = append(stack[:0], int32(start))
		for len(stack) > 0 {
			p := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			x, y := p%w, p/w
			for yy := max(y-1, 0); yy <= min(y+1, h-1); yy++ {
				for xx := max(x-1, 0); xx <= min(x+1, w-1); xx++ {
					q := yy*w + xx
					if in[q] && lab[q] == 0 {
						lab[q] = n
						stack = append(stack, int32(q))
					}
				}
			}
		}
	}
	return lab, int(n)
}

// sizes returns the pixel count of each label 1…n (index 0 counts the background).
func sizes(lab []int32, n int) []int {
	s := make([]int, n+1)
	for _, l := range lab {
		s[l]++
	}
	return s
}
