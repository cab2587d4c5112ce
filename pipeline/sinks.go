package pipeline

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/metaood/metaood/event"
)

// JSONLSink writes each event as one JSON line. Lines are flushed as they are written so a crash
// loses nothing already emitted.
type JSONLSink struct {
	name  string
	w     *bufio.Writer
	close func() error
}

// NewJSONLSink writes events to w; closer (may be nil) is called by Close.
func NewJSONLSink(name string, w io.Writer, closer io.Closer) *JSONLSink {
	s := &JSONLSink{name: name, w: bufio.NewWriter(w)}
	if closer != nil {
		s.close = closer.Close
	}
	return s
}

// CreateJSONL creates (truncates) the events file path.
func CreateJSONL(path string) (*JSONLSink, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%w: events file %s: %v (the events file needs a writable path)", ErrOutDir, path, err)
	}
	return NewJSONLSink(path, f, f), nil
}

// Frame implements Sink; frames carry no line of their own.
func (s *JSONLSink) Frame(*Result) error { return nil }

// Event implements Sink.
func (s *JSONLSink) Event(_ event.Event, line []byte) error {
	s.w.Write(line)
	s.w.WriteByte('\n')
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	return nil
}

// Close implements Sink.
func (s *JSONLSink) Close() error {
	err := s.w.Flush()
	if s.close != nil {
		if cerr := s.close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	return nil
}

// CSVHeader is the header of the per-frame summary CSV.
var CSVHeader = []string{"source", "frame", "capture_ts", "latency_ms", "components", "kept", "rejected", "max_entropy", "emergency", "error"}

// CSVSink writes one summary row per processed frame.
type CSVSink struct {
	path string
	f    *os.File
	w    *csv.Writer
	row  []string
}

// CreateCSV creates (truncates) path and writes the header.
func CreateCSV(path string) (*CSVSink, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%w: CSV file %s: %v (the CSV needs a writable path)", ErrOutDir, path, err)
	}
	s := &CSVSink{path: path, f: f, w: csv.NewWriter(f), row: make([]string, len(CSVHeader))}
	if err := s.w.Write(CSVHeader); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Frame implements Sink.
func (s *CSVSink) Frame(r *Result) error {
	maxE := float32(0)
	if r.Analysis != nil {
		for _, v := range r.Analysis.Entropy {
			maxE = max(maxE, v)
		}
	}
	errText := ""
	if r.Err != nil {
		errText = r.Err.Error()
	}
	s.row[0] = r.Frame.Source
	s.row[1] = strconv.FormatUint(r.Frame.Seq, 10)
	s.row[2] = r.Frame.Captured.Format(time.RFC3339Nano)
	s.row[3] = strconv.FormatFloat(float64(r.Latency)/float64(time.Millisecond), 'f', 3, 64)
	s.row[4] = strconv.Itoa(len(r.Anomalies))
	s.row[5] = strconv.Itoa(len(r.Anomalies) - r.Rejected)
	s.row[6] = strconv.Itoa(r.Rejected)
	s.row[7] = strconv.FormatFloat(float64(maxE), 'g', -1, 32)
	s.row[8] = strconv.FormatBool(r.Emergency)
	s.row[9] = errText
	if err := s.w.Write(s.row); err != nil {
		return fmt.Errorf("%s: %w", s.path, err)
	}
	return nil
}

// Event implements Sink; the CSV holds frames only.
func (s *CSVSink) Event(event.Event, []byte) error { return nil }

// Close implements Sink.
func (s *CSVSink) Close() error {
	s.w.Flush()
	err := s.w.Error()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", s.path, err)
	}
	return nil
}

// CheckOutDir creates dir if needed and proves it writable with a probe file, so a bad --out fails
// before any work starts.
func CheckOutDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%w: %s: %v (the output folder must be writable)", ErrOutDir, dir, err)
	}
	probe, err := os.CreateTemp(dir, ".metaood-probe-*")
	if err != nil {
		return fmt.Errorf("%w: %s: %v (the output folder must be writable)", ErrOutDir, dir, err)
	}
	name := probe.Name()
	probe.Close()
	os.Remove(name)
	return nil
}

// OutPath joins dir and name unless name is already a path of its own (absolute or with a folder).
func OutPath(dir, name string) string {
	if filepath.IsAbs(name) || filepath.Base(name) != name {
		return name
	}
	return filepath.Join(dir, name)
}
