package stream

import "github.com/metaood/metaood/frame"

// bgrToI420 converts packed BGR24 into the encoder's I420 planes (frame.BGRToI420).
func bgrToI420(bgr []byte, w, h int, y, u, v []byte) { frame.BGRToI420(bgr, w, h, y, u, v) }

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
