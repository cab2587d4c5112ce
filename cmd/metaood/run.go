package main

import (
	"context"
	"errors"
)

// cmdRun is a placeholder until its issue lands.
func cmdRun(ctx context.Context, args []string) error {
	return errors.New("not built yet")
}
