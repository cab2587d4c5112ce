// Package event holds the events metaood emits as JSON lines (docs/CONTRACTS.md §4) and the emergency
// tracker that decides when a kept anomaly in the drive corridor becomes an emergency. It is pure Go.
package event

import (
	"encoding/json"
	"time"
)

// Event types, the value of the "type" field.
const (
	TypeAnomalies = "anomalies"
	TypeEmergency = "emergency"
	TypeClear     = "clear"
	TypeSource    = "source"
	TypeStats     = "stats"
)

// Source states carried by a "source" event.
const (
	StateOpened      = "opened"
	StateLost        = "lost"
	StateReconnected = "reconnected"
	StateEnded       = "ended"
)

// Header is the part every event carries. Timestamps marshal as RFC 3339 with nanoseconds.
// V and ID are set by IDs.Stamp (the pipeline stamps every event it emits).
type Header struct {
	V         int    `json:"v"`  // SchemaVersion
	ID        string `json:"id"` // unique; the same in every run of a replay (IDs)
	Type      string `json:"type"`
	Source    string `json:"source"`
	Frame     uint64 `json:"frame"`
	CaptureTS Time   `json:"capture_ts"`
	EmitTS    Time   `json:"emit_ts"`
}

// TimeLayout is RFC 3339 with all nine fraction digits, in UTC: fixed width, so log tools
// that slice or sort the strings work (time.Time's own JSON trims trailing zeros).
const TimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// Time is a timestamp of an event; it marshals with TimeLayout.
type Time struct{ time.Time }

// At wraps t.
func At(t time.Time) Time { return Time{t} }

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(TimeLayout)+2)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, TimeLayout)
	return append(b, '"'), nil
}

// UnmarshalJSON implements json.Unmarshaler (any RFC 3339 form).
func (t *Time) UnmarshalJSON(b []byte) error {
	return t.Time.UnmarshalJSON(b)
}

// Anomaly is one connected component of the anomaly mask, in source-frame pixels.
type Anomaly struct {
	ID         int        `json:"id"`
	BBox       [4]int     `json:"bbox"`     // x, y, w, h
	Centroid   [2]float64 `json:"centroid"` // x, y
	Area       int        `json:"area"`     // pixels in the source frame (map area × scale)
	PFP        float64    `json:"p_fp"`     // meta classifier's P(false positive); 0 without a classifier
	InCorridor bool       `json:"in_corridor"`
	TrackID    int        `json:"track_id"` // the same object in consecutive frames keeps it (Tracks); from 1 per source
}

// Anomalies is emitted for each processed frame with at least one kept anomaly.
type Anomalies struct {
	Header
	Anomalies []Anomaly `json:"anomalies"`
	Rejected  int       `json:"rejected"` // components the meta classifier removed
}

// Emergency is emitted when a kept anomaly has stayed in the drive corridor in k of the last n frames.
type Emergency struct {
	Header
	Anomaly    Anomaly `json:"anomaly"`
	SinceFrame uint64  `json:"since_frame"`
	Clip       string  `json:"clip,omitempty"`     // the emergency's video clip, relative to the output folder ("" = none)
	Snapshot   string  `json:"snapshot,omitempty"` // its annotated frame as JPEG, relative to the output folder
}

// Clear is emitted when the emergency condition of a source has ended. It names the emergency
// it ends: that event's id and its anomaly's track id.
type Clear struct {
	Header
	SinceFrame  uint64  `json:"since_frame"`
	DurationMS  float64 `json:"duration_ms"`
	EmergencyID string  `json:"emergency_id"`
	TrackID     int     `json:"track_id"`
}

// SourceState is emitted when a source opens, is lost, reconnects or ends.
type SourceState struct {
	Header
	State  string `json:"state"`
	Detail string `json:"detail,omitempty"`
}

// StageStats is the latency of one pipeline stage over the last second(s).
type StageStats struct {
	P50MS float64 `json:"p50_ms"`
	P99MS float64 `json:"p99_ms"`
}

// Stats is emitted once a second with the pipeline's health.
type Stats struct {
	Header
	Stages   map[string]StageStats `json:"stages"`
	FPS      float64               `json:"fps"`
	Frames   uint64                `json:"frames"`
	Dropped  uint64                `json:"dropped"`
	Errors   uint64                `json:"errors"`
	Provider string                `json:"provider"`
}

// Event is any of the event structs above.
type Event interface {
	// Head returns the common header, so sinks can route by type and source.
	Head() *Header
}

// Head implements Event.
func (h *Header) Head() *Header { return h }

// Marshal returns the JSON line of e (no trailing newline).
func Marshal(e Event) ([]byte, error) { return json.Marshal(e) }
