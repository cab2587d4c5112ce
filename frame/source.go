package frame

import "fmt"

// Mode says how a source's frames are taken: the supervisor (pipeline) owns opening, pacing,
// retrying and the one newest-wins slot before inference; a Source only opens streams.
type Mode int

const (
	// Replay: files, image folders, synthetic drives processed as fast as the pipeline goes;
	// every frame is processed (back-pressure, no drops) and the end of the stream is the end.
	Replay Mode = iota
	// Paced: the same sources played in real time at FPS; the newest frame wins when the
	// pipeline is behind.
	Paced
	// Device: cameras, network streams, GStreamer pipelines. They deliver at their own rate, the
	// newest frame wins, and a lost stream is reopened with backoff.
	Device
)

// Live reports whether frames are dropped rather than waited for.
func (m Mode) Live() bool { return m != Replay }

func (m Mode) String() string {
	switch m {
	case Replay:
		return "replay"
	case Paced:
		return "paced"
	case Device:
		return "device"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Source is one input of a run. Open may be called again after a stream ends or fails
// (Device sources); it may block (network) and is bounded by the caller.
type Source interface {
	// ID is the source id stamped on its frames, stable for the run.
	ID() string
	Mode() Mode
	// FPS is the declared frame rate (what Paced sources are paced at), 0 when unknown.
	FPS() float64
	// Open starts a stream.
	Open() (Stream, error)
}

// Stream is an open source. Next blocks until the next frame; it returns io.EOF at the end
// of the stream, an *EndedEarly when a file ends before its declared length, any other error
// when the stream failed. Close releases it; it is never called while Next runs.
type Stream interface {
	Next() (*Frame, error)
	// Describe says what is open, for the "opened" source event ("video a.mp4 at 25 fps").
	Describe() string
	Close()
}

// EndedEarly is the end of a stream before its declared end (a truncated or corrupt file).
// What was read is kept; the run reports it and, in replay, exits non-zero.
type EndedEarly struct{ Why string }

func (e *EndedEarly) Error() string { return e.Why }
