// Package sharedtest finds the project's shared real data (../shared: conformance cases,
// Cityscapes models, dashcam clips) for tests and benchmarks.
//
// Where ../shared is absent a test that needs it skips, unless METAOOD_REQUIRE_SHARED=1
// (set by .ci/run), where it fails: CI must never pass by skipping the real-data checks.
package sharedtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Root returns the shared folder: $METAOOD_SHARED if set, else ../shared beside the repository.
func Root() string {
	if d := os.Getenv("METAOOD_SHARED"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0) // <repo>/internal/sharedtest/sharedtest.go
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
}

// Path returns Root()/rel, skipping (or failing under METAOOD_REQUIRE_SHARED=1) when it does not exist.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(Root(), rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("METAOOD_REQUIRE_SHARED") == "1" {
			tb.Fatalf("shared data %s is required (METAOOD_REQUIRE_SHARED=1) but missing: %v", p, err)
		}
		tb.Skipf("shared data %s not present; skipping", p)
	}
	return p
}
