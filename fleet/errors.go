package fleet

import "errors"

// Sentinel errors; every error this package returns for a cause the user can fix wraps one.
var (
	// ErrJob means a job (or a manifest entry, or a submitted path) is malformed: it can never run.
	ErrJob = errors.New("bad job")
	// ErrNATS means the NATS server could not be reached or its JetStream set-up is unusable.
	ErrNATS = errors.New("nats")
	// ErrOutput means a job's outputs could not be stored.
	ErrOutput = errors.New("job outputs")
	// ErrEvents means events could not all be published to the events stream.
	ErrEvents = errors.New("events not published")
)
