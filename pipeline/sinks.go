package pipeline

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/metaood/metaood/event"
)

// JSONLSink writes each event as one JSON line, with one write: a crash loses nothing already
// emitted, and a file never ends in half a line (lineWriter).
type JSONLSink struct {
	name  string
	w     lineWriter
	buf   []byte
	close func() error
}

// lineWriter takes whole lines.
type lineWriter interface{ WriteLine(b []byte) error }

// plainLines writes each line with one Write (a pipe, a LiveWriter).
type plainLines struct{ w io.Writer }

func (p plainLines) WriteLine(b []byte) error {
	_, err := p.w.Write(b)
	return err
}

// fileLines appends whole lines to a file: a write that fails part-way (a full disk) is cut
// back to the last complete line, and later lines are refused with the same error.
type fileLines struct {
	f    *os.File
	size int64 // bytes of complete lines
	err  error
}

func (l *fileLines) WriteLine(b []byte) error {
	if l.err != nil {
		return l.err
	}
	n, err := l.f.Write(b)
	if err != nil {
		l.err = err
		if n > 0 {
			l.f.Truncate(l.size) // the file ends with the last complete line
		}
		return err
	}
	l.size += int64(n)
	return nil
}

// NewJSONLSink writes events to w; closer (may be nil) is called by Close.
func NewJSONLSink(name string, w io.Writer, closer io.Closer) *JSONLSink {
	s := &JSONLSink{name: name, w: plainLines{w}}
	if f, ok := w.(*os.File); ok {
		s.w = &fileLines{f: f}
	}
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
	s.buf = append(append(s.buf[:0], line...), '\n')
	if err := s.w.WriteLine(s.buf); err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	return nil
}

// Close implements Sink.
func (s *JSONLSink) Close() error {
	var err error
	if s.close != nil {
		err = s.close()
	}
	if err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	return nil
}

// CSVHeader is the header of the per-frame summary CSV.
var CSVHeader = []string{"source", "frame", "capture_ts", "latency_ms", "components", "kept", "rejected", "max_entropy", "emergency", "error"}

// CSVSink writes one summary row per processed frame, each with one write (fileLines): a crash
// loses nothing already written and a full disk leaves no half row.
type CSVSink struct {
	path string
	f    *os.File
	out  *fileLines
	rec  bytes.Buffer
	w    *csv.Writer // into rec
	row  []string
}

// CreateCSV creates (truncates) path and writes the header.
func CreateCSV(path string) (*CSVSink, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%w: CSV file %s: %v (the CSV needs a writable path)", ErrOutDir, path, err)
	}
	s := &CSVSink{path: path, f: f, out: &fileLines{f: f}, row: make([]string, len(CSVHeader))}
	s.w = csv.NewWriter(&s.rec)
	if err := s.write(CSVHeader); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// write encodes one record and appends it to the file.
func (s *CSVSink) write(rec []string) error {
	s.rec.Reset()
	s.w.Write(rec)
	s.w.Flush()
	if err := s.w.Error(); err != nil {
		return err
	}
	return s.out.WriteLine(s.rec.Bytes())
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
	if err := s.write(s.row); err != nil {
		return fmt.Errorf("%s: %w", s.path, err)
	}
	return nil
}

// Event implements Sink; the CSV holds frames only.
func (s *CSVSink) Event(event.Event, []byte) error { return nil }

// Close implements Sink.
func (s *CSVSink) Close() error {
	err := s.f.Close()
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
