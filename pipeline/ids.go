package pipeline

import (
	"github.com/metaood/metaood/event"
	"github.com/metaood/metaood/frame"
)

// newIDs is the run's event stamper: the ids of a replayed source (every frame processed, none
// dropped) are the same in every run of it; a paced or live source's are unique to the run.
func newIDs(sources []frame.Source) *event.IDs {
	var replayable []string
	for _, s := range sources {
		if s.Mode() == frame.Replay {
			replayable = append(replayable, s.ID())
		}
	}
	return event.NewIDs(replayable)
}
