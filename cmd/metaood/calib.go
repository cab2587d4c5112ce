package main

import (
	"context"
	"errors"
)

// cmdCalib is a placeholder until its issue lands.
func cmdCalib(ctx context.Context, args []string) error {
	return errors.New("not built yet")
}
