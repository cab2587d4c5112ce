package capture

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run when a goroutine or (with -tags matprofile) a gocv Mat was leaked.
func TestMain(m *testing.M) {
	code := m.Run()
	if n := openMats(); n != 0 && code == 0 {
		fmt.Fprintf(os.Stderr, "%d gocv Mats left open\n", n)
		code = 1
	}
	if err := goleak.Find(); err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, "goroutine leak:", err)
		code = 1
	}
	os.Exit(code)
}
