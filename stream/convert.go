package stream

// luma is BT.601 limited-range Y of one pixel.
func luma(b, g, r int32) uint8 { return uint8((66*r+129*g+25*b+128)>>8 + 16) }

// bgrToI420 converts packed BGR24 (w×h) into I420 planes with BT.601 limited-range
// coefficients, the range browsers assume for VP8. Chroma is the average of each 2×2 block.
// y has stride w; u and v have stride ⌈w/2⌉. Odd sizes repeat the last row/column.
func bgrToI420(bgr []byte, w, h int, y, u, v []byte) {
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

// Frame marker: the sequence number as a row of markerBits square blocks in the Y plane's
// top-left corner, most significant bit first, black = 0 and white = 1, framed by a white
// start block and a black stop block so a reader can tell a marker from picture content.
// The last markerCheckBits bits are a checksum of the seq bits.
const (
	markerBlock     = 8                                       // block side in pixels
	markerSeqBits   = 24                                      // seq modulo 2^24 (~6 days at 30 fps)
	markerCheckBits = 6                                       // popcount(seq bits) mod 64
	markerBits      = 1 + markerSeqBits + markerCheckBits + 1 // start + seq + check + stop
	markerW         = markerBits * markerBlock
	markerH         = markerBlock
)

// markerValues returns the block values (true = white) for seq.
func markerValues(seq uint64) [markerBits]bool {
	var v [markerBits]bool
	s := seq & (1<<markerSeqBits - 1)
	v[0] = true
	pop := 0
	for i := 0; i < markerSeqBits; i++ {
		bit := s>>(markerSeqBits-1-i)&1 == 1
		v[1+i] = bit
		if bit {
			pop++
		}
	}
	for i := 0; i < markerCheckBits; i++ {
		v[1+markerSeqBits+i] = pop>>(markerCheckBits-1-i)&1 == 1
	}
	v[markerBits-1] = false
	return v
}

// stampMarker draws seq into the Y plane (stride w) and greys the chroma under it.
// Frames too small for the marker are left alone.
func stampMarker(seq uint64, w, h int, y, u, v []byte) {
	if w < markerW || h < markerH {
		return
	}
	vals := markerValues(seq)
	for r := 0; r < markerH; r++ {
		row := y[r*w : r*w+markerW]
		for i, white := range vals {
			c := byte(16)
			if white {
				c = 235
			}
			for k := 0; k < markerBlock; k++ {
				row[i*markerBlock+k] = c
			}
		}
	}
	cw := (w + 1) / 2
	for r := 0; r < markerH/2; r++ {
		for x := 0; x < markerW/2; x++ {
			u[r*cw+x], v[r*cw+x] = 128, 128
		}
	}
}

// readMarker decodes a marker from a Y plane (stride w) by sampling block centres with a
// mid-grey threshold; ok is false when the frame carries no valid marker. The viewer page
// implements the same reading in JavaScript; this one keeps the format honest in tests.
func readMarker(y []byte, w, h int) (seq uint64, ok bool) {
	if w < markerW || h < markerH {
		return 0, false
	}
	var got [markerBits]bool
	for i := range got {
		got[i] = y[(markerBlock/2)*w+i*markerBlock+markerBlock/2] >= 128
	}
	if !got[0] || got[markerBits-1] {
		return 0, false
	}
	for i := 0; i < markerSeqBits; i++ {
		seq <<= 1
		if got[1+i] {
			seq |= 1
		}
	}
	if markerValues(seq) != got {
		return 0, false
	}
	return seq, true
}
