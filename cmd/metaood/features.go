package main

import (
	"context"
	"errors"
)

// cmdFeatures is a placeholder until its issue lands.
func cmdFeatures(ctx context.Context, args []string) error {
	return errors.New("not built yet")
}
