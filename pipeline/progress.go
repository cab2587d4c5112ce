package pipeline

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/metaood/metaood/event"
)

// ProgressSink draws a one-line progress bar (for replays of files), at most 4 times a second.
type ProgressSink struct {
	w     io.Writer
	total int // expected frames; 0 = unknown (a counter is shown instead of a bar)
	n     int
	last  time.Time
	drawn bool
}

// NewProgressSink draws to w (usually stderr) for total expected frames (0 if unknown).
func NewProgressSink(w io.Writer, total int) *ProgressSink { return &ProgressSink{w: w, total: total} }

// Frame implements Sink.
func (p *ProgressSink) Frame(r *Result) error {
	p.n++
	if now := time.Now(); now.Sub(p.last) >= 250*time.Millisecond || p.n == p.total {
		p.last = now
		p.draw(r.FPS, r.Latency)
	}
	return nil
}

func (p *ProgressSink) draw(fps float64, lat time.Duration) {
	p.drawn = true
	if p.total <= 0 {
		fmt.Fprintf(p.w, "\r%6d frames  %5.1f fps  latency %4.0f ms ", p.n, fps, float64(lat)/1e6)
		return
	}
	const width = 30
	done := min(width, p.n*width/p.total)
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d  %5.1f fps  latency %4.0f ms ", strings.Repeat("=", done), strings.Repeat(" ", width-done),
		p.n, p.total, fps, float64(lat)/1e6)
}

// Event implements Sink.
func (p *ProgressSink) Event(event.Event, []byte) error { return nil }

// Close ends the line.
func (p *ProgressSink) Close() error {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
	return nil
}
