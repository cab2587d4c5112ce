package event

// TypeClip is the type of the event that says an emergency's clip is complete.
const TypeClip = "clip"

// Clip is emitted when the video clip of an emergency is complete (its post-roll recorded and
// the file finalized). Its frame is the one that completed it.
type Clip struct {
	Header
	Clip           string  `json:"clip"`            // the clip's path, relative to the output folder
	EmergencyFrame uint64  `json:"emergency_frame"` // the frame of the emergency it shows
	EmergencyID    string  `json:"emergency_id"`    // the id of that emergency event
	DurationMS     float64 `json:"duration_ms"`     // video time it covers
	Frames         int     `json:"frames"`
}
