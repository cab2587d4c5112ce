package main

import (
	"context"
	"errors"
)

// cmdSynth is a placeholder until its issue lands.
func cmdSynth(ctx context.Context, args []string) error {
	return errors.New("not built yet")
}
