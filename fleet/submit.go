package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Submitted is what Submit did with one job.
type Submitted struct {
	ID     string
	Queued bool   // false: skipped
	Why    string // why it was skipped
}

// Submit queues jobs. A job whose id already has a status is skipped (submitting a folder twice
// does not run it twice) unless redo, which queues it again (its outputs are then replaced).
// The status is set to queued before the job is published, so a fast worker never finds it
// missing.
func Submit(ctx context.Context, f *Fleet, jobs []Job, redo bool) ([]Submitted, error) {
	var out []Submitted
	for _, j := range jobs {
		if err := j.Validate(); err != nil {
			return out, err
		}
		prev, exists, err := GetStatus(ctx, f.Status, j.ID)
		if err != nil {
			return out, err
		}
		if exists && !redo {
			out = append(out, Submitted{ID: j.ID, Why: "already " + prev.State + " (--redo queues it again)"})
			continue
		}
		if exists && !prev.Terminal() {
			out = append(out, Submitted{ID: j.ID, Why: "still " + prev.State + ": it runs already"})
			continue
		}
		j.Submitted = time.Now().UTC()
		data, err := json.Marshal(j)
		if err != nil {
			return out, fmt.Errorf("%w: %s: %v", ErrJob, j.ID, err)
		}
		st, _ := json.Marshal(Status{ID: j.ID, State: Queued, Source: j.Source, Submitted: j.Submitted, Updated: j.Submitted})
		if _, err := f.Status.Put(ctx, j.ID, st); err != nil {
			return out, fmt.Errorf("%w: status of %s: %v", ErrNATS, j.ID, err)
		}
		m := nats.NewMsg(JobsSubject)
		m.Data = data
		// A retried submit of the same job (same submission time) is dropped by the stream.
		m.Header.Set(jetstream.MsgIDHeader, j.ID+"@"+j.Submitted.Format(time.RFC3339Nano))
		if _, err := f.JS.PublishMsg(ctx, m); err != nil {
			return out, fmt.Errorf("%w: publish job %s: %v", ErrNATS, j.ID, err)
		}
		out = append(out, Submitted{ID: j.ID, Queued: true})
	}
	return out, nil
}
