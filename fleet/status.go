package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Job states, in the order a job goes through them. A job that failed a try and waits for its
// next delivery is queued again, with the reason of the last failure.
const (
	Queued  = "queued"
	Running = "running"
	Done    = "done"
	Failed  = "failed"
)

// Status is a job's entry in the status bucket.
type Status struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"` // why the job failed (or why the last try failed)
	// Deliveries is how many times the job has been delivered to a worker (from the message's
	// metadata): more than one means a worker died, timed out or failed a try.
	Deliveries  uint64    `json:"deliveries"`
	Seq         uint64    `json:"seq,omitempty"` // the job message's stream sequence (one per submission)
	Worker      string    `json:"worker,omitempty"`
	Source      string    `json:"source"`
	Frames      uint64    `json:"frames"`       // frames done in the current try
	TotalFrames int       `json:"total_frames"` // frames expected; 0 = unknown
	FPS         float64   `json:"fps,omitempty"`
	Events      uint64    `json:"events,omitempty"`
	Output      string    `json:"output,omitempty"` // where the outputs are once done
	Submitted   time.Time `json:"submitted"`
	Started     time.Time `json:"started,omitzero"`
	Updated     time.Time `json:"updated"`
}

// Terminal reports whether the job has finished, one way or the other.
func (s Status) Terminal() bool { return s.State == Done || s.State == Failed }

// errStale is an update refused because a later delivery of the job owns its status.
var errStale = errors.New("a later delivery owns the job's status")

// updateStatus changes a job's status with fn, atomically (compare-and-set on the entry's
// revision). fn sees the current status (zero when absent) and may refuse with errStale.
func updateStatus(ctx context.Context, kv jetstream.KeyValue, id string, fn func(*Status) error) error {
	for range 20 {
		var cur Status
		var rev uint64
		e, err := kv.Get(ctx, id)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return fmt.Errorf("%w: status of %s: %v", ErrNATS, id, err)
		default:
			rev = e.Revision()
			if err := json.Unmarshal(e.Value(), &cur); err != nil {
				cur = Status{ID: id} // an unreadable entry is replaced
			}
		}
		if err := fn(&cur); err != nil {
			return err
		}
		cur.Updated = time.Now().UTC()
		b, _ := json.Marshal(cur)
		if rev == 0 {
			_, err = kv.Create(ctx, id, b)
		} else {
			_, err = kv.Update(ctx, id, b, rev)
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !isWrongLastSequence(err) {
			return fmt.Errorf("%w: status of %s: %v", ErrNATS, id, err)
		}
		// Someone else wrote it in between: read again.
	}
	return fmt.Errorf("%w: status of %s: too many concurrent updates", ErrNATS, id)
}

// isWrongLastSequence is the error of a compare-and-set that lost the race.
func isWrongLastSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// GetStatus reads one job's status.
func GetStatus(ctx context.Context, kv jetstream.KeyValue, id string) (Status, bool, error) {
	e, err := kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Status{}, false, nil
	}
	if err != nil {
		return Status{}, false, fmt.Errorf("%w: status of %s: %v", ErrNATS, id, err)
	}
	var s Status
	if err := json.Unmarshal(e.Value(), &s); err != nil {
		return Status{}, false, fmt.Errorf("%w: status of %s unreadable: %v", ErrNATS, id, err)
	}
	return s, true, nil
}

// ListStatus reads every job's status, in key order (one pass over the bucket).
func ListStatus(ctx context.Context, kv jetstream.KeyValue) ([]Status, error) {
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("%w: list jobs: %v", ErrNATS, err)
	}
	defer w.Stop()
	var out []Status
	for {
		select {
		case e := <-w.Updates():
			if e == nil { // the initial values are all delivered
				slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.ID, b.ID) })
				return out, nil
			}
			var s Status
			if json.Unmarshal(e.Value(), &s) == nil {
				out = append(out, s)
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: list jobs: %v", ErrNATS, ctx.Err())
		}
	}
}
