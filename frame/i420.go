package frame

// luma is BT.601 limited-range Y of one pixel.
func luma(b, g, r int32) uint8 { return uint8((66*r+129*g+25*b+128)>>8 + 16) }

// BGRToI420 converts packed BGR24 (w×h) into I420 planes with BT.601 limited-range
// coefficients, the range browsers and VP8 decoders assume. Chroma is the average of each
// 2×2 block. y has stride w; u and v have stride ⌈w/2⌉. Odd sizes repeat the last row/column.
// The live viewer and the WebM recorder both feed libvpx with it.
func BGRToI420(bgr []byte, w, h int, y, u, v []byte) {
	cw := (w + 1) / 2
	for r := 0; r < h; r += 2 {
		r2 := min(r+1, h-1)
		row0 := bgr[r*w*3 : (r+1)*w*3]
		row1 := bgr[r2*w*3 : (r2+1)*w*3]
		y0 := y[r*w : (r+1)*w]
		y1 := y[r2*w : (r2+1)*w]
		uo := u[(r/2)*cw : (r/2+1)*cw]
		vo := v[(r/2)*cw : (r/2+1)*cw]
		for x := 0; x < w; x += 2 {
			x2 := min(x+1, w-1)
			i, j := x*3, x2*3
			b0, g0, r0 := int32(row0[i]), int32(row0[i+1]), int32(row0[i+2])
			b1, g1, r1 := int32(row0[j]), int32(row0[j+1]), int32(row0[j+2])
			b2, g2, r2 := int32(row1[i]), int32(row1[i+1]), int32(row1[i+2])
			b3, g3, r3 := int32(row1[j]), int32(row1[j+1]), int32(row1[j+2])
			y0[x], y0[x2] = luma(b0, g0, r0), luma(b1, g1, r1)
			y1[x], y1[x2] = luma(b2, g2, r2), luma(b3, g3, r3)
			// Averages of the 2×2 block, rounded.
			sb, sg, sr := (b0+b1+b2+b3+2)>>2, (g0+g1+g2+g3+2)>>2, (r0+r1+r2+r3+2)>>2
			uo[x/2] = uint8((-38*sr-74*sg+112*sb+128)>>8 + 128)
			vo[x/2] = uint8((112*sr-94*sg-18*sb+128)>>8 + 128)
		}
	}
}
