package infer

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain loads ONNX Runtime once (the environment is per process), then checks that no
// goroutine and (with -tags matprofile) no gocv Mat was leaked.
func TestMain(m *testing.M) {
	if err := Init(""); err != nil {
		fmt.Fprintln(os.Stderr, "infer tests need ONNX Runtime:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := Shutdown(); err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, "shutdown:", err)
		code = 1
	}
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
