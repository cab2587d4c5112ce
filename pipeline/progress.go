package pipeline

import (
	"fmt"
	"io"
	"strings"

	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/internal/progress"
)

// ProgressSink shows a replay's progress: a bar when the total is known, else a counter.
type ProgressSink struct {
	line  *progress.Line
	total int // expected frames; 0 = unknown
	n     int
}

// NewProgressSink draws to w (usually stderr) for total expected frames (0 if unknown).
func NewProgressSink(w io.Writer, total int) *ProgressSink {
	return &ProgressSink{line: progress.New(w, total), total: total}
}

// Frame implements Sink.
func (p *ProgressSink) Frame(r *Result) error {
	p.n++
	lat := float64(r.Latency) / 1e6
	if p.total <= 0 {
		p.line.Update(p.n, fmt.Sprintf("%6d frames  %5.1f fps  latency %4.0f ms", p.n, r.FPS, lat))
		return nil
	}
	const width = 30
	done := min(width, p.n*width/p.total)
	p.line.Update(p.n, fmt.Sprintf("[%s%s] %d/%d  %5.1f fps  latency %4.0f ms", strings.Repeat("=", done), strings.Repeat(" ", width-done),
		p.n, p.total, r.FPS, lat))
	return nil
}

// Event implements Sink.
func (p *ProgressSink) Event(event.Event, []byte) error { return nil }

// Close ends the line.
func (p *ProgressSink) Close() error {
	p.line.Done("")
	return nil
}
