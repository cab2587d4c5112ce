package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// parsed is what the test reader finds in a WebM file.
type parsed struct {
	docType       string
	segmentSized  bool // the Segment's size is known (the file was closed)
	durationMs    float64
	w, h          int
	codec         string
	defaultDurNs  uint64
	blocks        []block
	clusterPos    []int64 // positions of the clusters in the Segment
	cues          []cue
	seekCues      int64 // the SeekHead's Cues position (-1 = no SeekHead)
	trailingBytes int   // bytes after the last whole element (a cut file)
}

type block struct {
	pts  int64
	key  bool
	data []byte
}

// readVint reads an EBML variable-length number; ids keep their marker bits.
func readVint(b []byte, keepMarker bool) (v uint64, n int, unknown bool, err error) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0, false, errors.New("bad vint")
	}
	n = 1
	for b[0]&(0x80>>(n-1)) == 0 {
		n++
	}
	if len(b) < n {
		return 0, 0, false, errors.New("short vint")
	}
	v = uint64(b[0])
	if !keepMarker {
		v &= uint64(0xFF >> n)
	}
	all := v == uint64(0xFF>>n)
	for i := 1; i < n; i++ {
		v = v<<8 | uint64(b[i])
		all = all && b[i] == 0xFF
	}
	return v, n, all && !keepMarker, nil
}

type elem struct {
	id      uint32
	body    []byte
	start   int // offset of the element's header in its parent's body
	unknown bool
}

// children splits a master element's body; a last element that runs past the end is returned in
// rest (the cut tail of a crashed file).
func children(b []byte) (out []elem, rest int, err error) {
	off := 0
	for off < len(b) {
		id, n, _, err := readVint(b[off:], true)
		if err != nil {
			return out, len(b) - off, nil
		}
		size, m, unknown, err := readVint(b[off+n:], false)
		if err != nil {
			return out, len(b) - off, nil
		}
		hdr := n + m
		if unknown {
			out = append(out, elem{id: uint32(id), body: b[off+hdr:], start: off, unknown: true})
			return out, 0, nil
		}
		if off+hdr+int(size) > len(b) {
			return out, len(b) - off, nil
		}
		out = append(out, elem{id: uint32(id), body: b[off+hdr : off+hdr+int(size)], start: off})
		off += hdr + int(size)
	}
	return out, 0, nil
}

func uintOf(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func parseWebM(data []byte) (*parsed, error) {
	top, _, _ := children(data)
	if len(top) < 2 || top[0].id != idEBML || top[1].id != idSegment {
		return nil, fmt.Errorf("top level: %d elements", len(top))
	}
	p := &parsed{seekCues: -1}
	hdr, _, _ := children(top[0].body)
	for _, e := range hdr {
		if e.id == idDocType {
			p.docType = string(e.body)
		}
	}
	p.segmentSized = !top[1].unknown
	segs, rest, _ := children(top[1].body)
	p.trailingBytes = rest
	for _, e := range segs {
		switch e.id {
		case idSeekHead:
			seeks, _, _ := children(e.body)
			for _, s := range seeks {
				kv, _, _ := children(s.body)
				if len(kv) == 2 && bytes.Equal(kv[0].body, appendID(nil, idCues)) {
					p.seekCues = int64(uintOf(kv[1].body))
				}
			}
		case idInfo:
			info, _, _ := children(e.body)
			for _, i := range info {
				if i.id == idDuration {
					p.durationMs = math.Float64frombits(binary.BigEndian.Uint64(i.body))
				}
			}
		case idTracks:
			entries, _, _ := children(e.body)
			fields, _, _ := children(entries[0].body)
			for _, f := range fields {
				switch f.id {
				case idCodecID:
					p.codec = string(f.body)
				case idDefaultDuration:
					p.defaultDurNs = uintOf(f.body)
				case idVideo:
					v, _, _ := children(f.body)
					for _, x := range v {
						if x.id == idPixelWidth {
							p.w = int(uintOf(x.body))
						} else if x.id == idPixelHeight {
							p.h = int(uintOf(x.body))
						}
					}
				}
			}
		case idCluster:
			p.clusterPos = append(p.clusterPos, int64(e.start))
			kids, _, _ := children(e.body)
			var tc int64
			for _, k := range kids {
				switch k.id {
				case idTimecode:
					tc = int64(uintOf(k.body))
				case idSimpleBlock:
					rel := int64(int16(binary.BigEndian.Uint16(k.body[1:3])))
					p.blocks = append(p.blocks, block{pts: tc + rel, key: k.body[3]&0x80 != 0, data: k.body[4:]})
				}
			}
		case idCues:
			points, _, _ := children(e.body)
			for _, pt := range points {
				kv, _, _ := children(pt.body)
				var c cue
				for _, x := range kv {
					if x.id == idCueTime {
						c.time = int64(uintOf(x.body))
					} else if x.id == idCueTrackPositions {
						tp, _, _ := children(x.body)
						for _, y := range tp {
							if y.id == idCueClusterPosition {
								c.pos = int64(uintOf(y.body))
							}
						}
					}
				}
				p.cues = append(p.cues, c)
			}
		}
	}
	return p, nil
}

// packets makes n packets at fps with a keyframe every gop, each payload naming its index.
func packets(n, gop int, fps float64) []Packet {
	out := make([]Packet, n)
	for i := range out {
		out[i] = Packet{PTS: int64(math.Round(float64(i) * 1000 / fps)), Key: i%gop == 0, Data: fmt.Appendf(nil, "frame-%d", i)}
	}
	return out
}

func TestWebMRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.webm")
	w, err := CreateWebM(path, Track{W: 64, H: 32, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	in := packets(95, 30, 30)
	for _, p := range in {
		if err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	data, _ := os.ReadFile(path)
	p, err := parseWebM(data)
	if err != nil {
		t.Fatal(err)
	}
	if p.docType != "webm" || p.codec != "V_VP8" || p.w != 64 || p.h != 32 || p.defaultDurNs != 33333333 {
		t.Errorf("header: %+v", p)
	}
	if !p.segmentSized || p.trailingBytes != 0 {
		t.Errorf("segment sized %v, %d trailing bytes; want a closed file", p.segmentSized, p.trailingBytes)
	}
	if want := float64(in[len(in)-1].PTS) + 1000.0/30; math.Abs(p.durationMs-want) > 0.01 {
		t.Errorf("duration %.2f ms, want %.2f", p.durationMs, want)
	}
	if len(p.blocks) != len(in) {
		t.Fatalf("%d blocks, want %d", len(p.blocks), len(in))
	}
	for i, b := range p.blocks {
		if b.pts != in[i].PTS || b.key != in[i].Key || !bytes.Equal(b.data, in[i].Data) {
			t.Fatalf("block %d: pts %d key %v %q, want %d %v %q", i, b.pts, b.key, b.data, in[i].PTS, in[i].Key, in[i].Data)
		}
	}
	if len(p.clusterPos) != 4 || len(p.cues) != 4 {
		t.Fatalf("%d clusters, %d cues; want one per keyframe (4)", len(p.clusterPos), len(p.cues))
	}
	for i, c := range p.cues {
		if c.pos != p.clusterPos[i] || c.time != in[30*i].PTS {
			t.Errorf("cue %d = %+v, want cluster at %d, time %d", i, c, p.clusterPos[i], in[30*i].PTS)
		}
	}
	if p.seekCues <= 0 || p.seekCues <= p.clusterPos[len(p.clusterPos)-1] {
		t.Errorf("SeekHead points the Cues at %d", p.seekCues)
	}
}

// A file whose writer was killed (never closed) holds every cluster written before the open one
// and parses: unknown Segment size, no Cues, no Duration.
func TestWebMCutShort(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cut.webm")
	w, err := CreateWebM(path, Track{W: 64, H: 32, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer w.f.Close()
	for _, p := range packets(75, 30, 30) {
		if err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(path)
	p, err := parseWebM(data)
	if err != nil {
		t.Fatal(err)
	}
	if p.segmentSized || p.durationMs != 0 || len(p.cues) != 0 {
		t.Errorf("cut file: sized %v duration %v cues %d", p.segmentSized, p.durationMs, len(p.cues))
	}
	if len(p.blocks) != 60 || p.trailingBytes != 0 {
		t.Errorf("cut file holds %d blocks (+%d bytes), want the 60 of the two whole clusters", len(p.blocks), p.trailingBytes)
	}
}

func TestWebMWriteErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := CreateWebM(filepath.Join(dir, "z.webm"), Track{}); !errors.Is(err, ErrWebM) {
		t.Errorf("zero size: %v", err)
	}
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o644)
	if _, err := CreateWebM(filepath.Join(blocker, "x.webm"), Track{W: 8, H: 8}); !errors.Is(err, ErrWebM) {
		t.Errorf("folder is a file: %v", err)
	}
	w, err := CreateWebM(filepath.Join(dir, "a.webm"), Track{W: 8, H: 8, FPS: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Packet{PTS: 0, Data: []byte{1}}); !errors.Is(err, ErrWebM) {
		t.Errorf("first packet not a keyframe: %v", err)
	}
	w.Write(Packet{PTS: 100, Key: true, Data: []byte{1}})
	if err := w.Write(Packet{PTS: 50, Data: []byte{1}}); !errors.Is(err, ErrWebM) {
		t.Errorf("time going back: %v", err)
	}
	w.Close()
	if err := w.Write(Packet{PTS: 200, Key: true}); !errors.Is(err, ErrWebM) {
		t.Errorf("write after close: %v", err)
	}
}

// Clusters are split before block times overflow their 16-bit offset, keyframes or not.
func TestWebMLongGOP(t *testing.T) {
	path := filepath.Join(t.TempDir(), "long.webm")
	w, _ := CreateWebM(path, Track{W: 8, H: 8, FPS: 1})
	in := packets(70, 1000, 1) // one keyframe, 70 s
	for _, p := range in {
		w.Write(p)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	p, _ := parseWebM(data)
	if len(p.clusterPos) != 3 || len(p.blocks) != 70 || len(p.cues) != 1 {
		t.Fatalf("%d clusters, %d blocks, %d cues; want 3, 70, 1", len(p.clusterPos), len(p.blocks), len(p.cues))
	}
	for i, b := range p.blocks {
		if b.pts != in[i].PTS {
			t.Fatalf("block %d at %d ms, want %d", i, b.pts, in[i].PTS)
		}
	}
}

func TestAppendSize(t *testing.T) {
	cases := []struct {
		n    uint64
		want []byte
	}{
		{0, []byte{0x80}}, {126, []byte{0xFE}}, {127, []byte{0x40, 0x7F}}, {16382, []byte{0x7F, 0xFE}}, {16383, []byte{0x20, 0x3F, 0xFF}},
	}
	for _, c := range cases {
		got := appendSize(nil, c.n)
		if !bytes.Equal(got, c.want) {
			t.Errorf("appendSize(%d) = % x, want % x", c.n, got, c.want)
		}
		v, n, unknown, err := readVint(got, false)
		if err != nil || v != c.n || n != len(got) || unknown {
			t.Errorf("read back %d: %d (%d bytes, unknown %v, %v)", c.n, v, n, unknown, err)
		}
	}
}
