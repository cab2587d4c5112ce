package record

// Ring keeps the most recent encoded packets: at least the last Keep milliseconds, starting at a
// keyframe, so that a clip asked for now can start Keep before now without re-encoding the past.
// Its memory is about (Keep + one keyframe interval) × bitrate. Not safe for concurrent use.
type Ring struct {
	Keep int64 // milliseconds to keep before the newest packet
	pkts []Packet
}

// Push adds p (the ring keeps p.Data: the caller must not reuse it) and drops the packets that
// are no longer needed: those before the last keyframe at or before newest − Keep.
func (r *Ring) Push(p Packet) {
	r.pkts = append(r.pkts, p)
	cut := -1
	for i, q := range r.pkts {
		if q.PTS > p.PTS-r.Keep {
			break
		}
		if q.Key {
			cut = i
		}
	}
	if cut > 0 {
		n := copy(r.pkts, r.pkts[cut:])
		clear(r.pkts[n:])
		r.pkts = r.pkts[:n]
	}
}

// From returns the packets from the last keyframe at or before t (the oldest keyframe when
// none is that old) to the newest; nil when the ring holds no keyframe. The slice is the
// ring's: use it before the next Push.
func (r *Ring) From(t int64) []Packet {
	start := -1
	for i, q := range r.pkts {
		if !q.Key {
			continue
		}
		if start < 0 || q.PTS <= t {
			start = i
		}
		if q.PTS > t {
			break
		}
	}
	if start < 0 {
		return nil
	}
	return r.pkts[start:]
}

// Len returns how many packets the ring holds.
func (r *Ring) Len() int { return len(r.pkts) }
