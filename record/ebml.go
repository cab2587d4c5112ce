package record

import (
	"encoding/binary"
	"math"
)

// EBML element IDs of the WebM subset the muxer writes (matroska.org/technical/elements.html).
const (
	idEBML               = 0x1A45DFA3
	idEBMLVersion        = 0x4286
	idEBMLReadVersion    = 0x42F7
	idEBMLMaxIDLength    = 0x42F2
	idEBMLMaxSizeLength  = 0x42F3
	idDocType            = 0x4282
	idDocTypeVersion     = 0x4287
	idDocTypeReadVersion = 0x4285
	idSegment            = 0x18538067
	idSeekHead           = 0x114D9B74
	idSeek               = 0x4DBB
	idSeekID             = 0x53AB
	idSeekPosition       = 0x53AC
	idInfo               = 0x1549A966
	idTimecodeScale      = 0x2AD7B1
	idDuration           = 0x4489
	idMuxingApp          = 0x4D80
	idWritingApp         = 0x5741
	idTracks             = 0x1654AE6B
	idTrackEntry         = 0xAE
	idTrackNumber        = 0xD7
	idTrackUID           = 0x73C5
	idTrackType          = 0x83
	idFlagLacing         = 0x9C
	idDefaultDuration    = 0x23E383
	idCodecID            = 0x86
	idVideo              = 0xE0
	idPixelWidth         = 0xB0
	idPixelHeight        = 0xBA
	idCluster            = 0x1F43B675
	idTimecode           = 0xE7
	idSimpleBlock        = 0xA3
	idCues               = 0x1C53BB6B
	idCuePoint           = 0xBB
	idCueTime            = 0xB3
	idCueTrackPositions  = 0xB7
	idCueTrack           = 0xF7
	idCueClusterPosition = 0xF1
	idVoid               = 0xEC
)

// unknownSize is the 8-byte EBML size "unknown": a Segment written as it goes carries it until
// Close patches in the real size, so a file cut short by a crash still parses.
var unknownSize = []byte{0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}

// appendID appends an element ID (IDs carry their own length marker).
func appendID(b []byte, id uint32) []byte {
	switch {
	case id >= 1<<24:
		return append(b, byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
	case id >= 1<<16:
		return append(b, byte(id>>16), byte(id>>8), byte(id))
	case id >= 1<<8:
		return append(b, byte(id>>8), byte(id))
	}
	return append(b, byte(id))
}

// appendSize appends n as the shortest EBML variable-length size (the all-ones value of each
// length is reserved for "unknown", hence the -1).
func appendSize(b []byte, n uint64) []byte {
	for l := 1; l <= 8; l++ {
		if n < 1<<(7*l)-1 {
			for i := l - 1; i >= 0; i-- {
				v := byte(n >> (8 * i))
				if i == l-1 {
					v |= 0x80 >> (l - 1)
				}
				b = append(b, v)
			}
			return b
		}
	}
	panic("record: EBML size beyond 2^56")
}

// appendSize8 appends n as an 8-byte EBML size, so it can be patched in place later.
func appendSize8(b []byte, n uint64) []byte {
	return append(b, 0x01, byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// appendMaster appends a master element holding body.
func appendMaster(b []byte, id uint32, body []byte) []byte {
	b = appendID(b, id)
	b = appendSize(b, uint64(len(body)))
	return append(b, body...)
}

// appendUint appends an unsigned integer element in as few bytes as it needs.
func appendUint(b []byte, id uint32, v uint64) []byte {
	n := 1
	for n < 8 && v>>(8*n) != 0 {
		n++
	}
	b = appendID(b, id)
	b = appendSize(b, uint64(n))
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// appendUint8 appends an unsigned integer element with a fixed 8-byte payload (patchable).
func appendUint8(b []byte, id uint32, v uint64) []byte {
	b = appendID(b, id)
	b = appendSize(b, 8)
	return binary.BigEndian.AppendUint64(b, v)
}

// appendFloat appends a 64-bit float element.
func appendFloat(b []byte, id uint32, v float64) []byte {
	b = appendID(b, id)
	b = appendSize(b, 8)
	return binary.BigEndian.AppendUint64(b, math.Float64bits(v))
}

// appendString appends a string (or binary) element.
func appendString(b []byte, id uint32, s string) []byte {
	b = appendID(b, id)
	b = appendSize(b, uint64(len(s)))
	return append(b, s...)
}

// appendVoid appends a Void element of exactly n bytes in all (n ≥ 2): space kept for an
// element written at Close, which readers skip until then.
func appendVoid(b []byte, n int) []byte {
	if n < 2 || n > 127+1 {
		panic("record: void size out of range")
	}
	b = append(b, idVoid)
	b = appendSize(b, uint64(n-2))
	return append(b, make([]byte, n-2)...)
}
