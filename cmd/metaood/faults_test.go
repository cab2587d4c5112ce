package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/metaood/metaood/capture"
)

// TestMain lets a test run the real command in a child process (METAOOD_TEST_MAIN=1, the
// arguments in METAOOD_TEST_ARGS separated by \x1f): signals and exit statuses are the point.
func TestMain(m *testing.M) {
	if os.Getenv("METAOOD_TEST_MAIN") == "1" {
		os.Args = append([]string{"metaood"}, strings.Split(os.Getenv("METAOOD_TEST_ARGS"), "\x1f")...)
		main()
		return
	}
	os.Exit(m.Run())
}

// metaoodChild is the command `metaood args…` run by the test binary itself.
func metaoodChild(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "METAOOD_TEST_MAIN=1", "METAOOD_TEST_ARGS="+strings.Join(args, "\x1f"))
	return cmd
}

// TestRunStdoutReaderGone: `metaood run --stdout | head -1` (the reader gone at once) is an output
// that failed, not a SIGPIPE death: the run finishes, the video and the CSV are complete, the
// summary names the failed output and the exit status is 1.
func TestRunStdoutReaderGone(t *testing.T) {
	dir := t.TempDir()
	cmd := metaoodChild(t, "run", "--source", "synth:frames=40,size=256x128", "--stdout", "--out", dir, "--log-level", "error")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // the reader is gone before the first line
	cmd.Stdout = w
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	w.Close()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || ee.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("exit: %v, want status 1 (not a signal)\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "output failed: stdout") {
		t.Errorf("summary does not name the failed output:\n%s", stderr.String())
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "summary.csv"))
	if n := strings.Count(string(csv), "\n"); n != 41 {
		t.Errorf("summary.csv has %d lines, want a header and 40 rows", n)
	}
	src, err := capture.Open(filepath.Join(dir, "annotated-0000.webm"), capture.Options{}, nil)
	if err != nil {
		t.Fatalf("annotated video unreadable: %v", err)
	}
	if frames, err := capture.ReadAll(t.Context(), src, 0); err != nil || len(frames) != 40 {
		t.Errorf("annotated video: %d frames, err %v; want 40", len(frames), err)
	}
}

// TestRunDoubleInterrupt: a second Ctrl-C while the run drains (here: a webhook whose receiver
// hangs) stops at once but still finalizes the outputs: the video is readable and holds every
// frame the CSV lists.
func TestRunDoubleInterrupt(t *testing.T) {
	hang := make(chan struct{})
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer recv.Close()
	defer close(hang) // first: the handlers return, then the server closes
	dir := t.TempDir()
	cmd := metaoodChild(t, "run", "--source", "synth:frames=0,size=256x128", "--realtime", "--stdout=false", "--out", dir,
		"--log-level", "error", "--webhook", recv.URL)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	csvPath := filepath.Join(dir, "summary.csv")
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) { // running: some frames through
		if b, _ := os.ReadFile(csvPath); strings.Count(string(b), "\n") > 10 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	time.Sleep(500 * time.Millisecond) // draining: the webhook waits on its receiver
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("killed by the second Ctrl-C: %v\n%s", err, stderr.String())
	}
	csv, _ := os.ReadFile(csvPath)
	rows := strings.Count(string(csv), "\n") - 1
	src, err := capture.Open(filepath.Join(dir, "annotated-0000.webm"), capture.Options{}, nil)
	if err != nil {
		t.Fatalf("annotated video unreadable after a double Ctrl-C: %v\n%s", err, stderr.String())
	}
	frames, err := capture.ReadAll(t.Context(), src, 0)
	if err != nil || rows < 10 || len(frames) != rows {
		t.Errorf("video %d frames (err %v), CSV %d rows; want the same, at least 10", len(frames), err, rows)
	}
}

// TestRunDiskFull: the output folder on a full disk (a 320 KiB tmpfs in a user and mount
// namespace). The run is not a crash and does not exit 0: the outputs that failed are named, and
// what was written ends with complete lines (the events file and the CSV are cut back to the
// last whole line).
func TestRunDiskFull(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare (util-linux) is missing: `make setup` installs it")
	}
	if err := exec.Command("unshare", "-Urm", "true").Run(); err != nil {
		t.Skipf("this machine allows no user namespaces (%v): the disk-full test needs one for its tmpfs", err)
	}
	dir, saved := t.TempDir(), t.TempDir()
	args := []string{"run", "--source", "synth:frames=300,size=256x128", "--input-size", "256x128", "--force", "--out", dir,
		"--stdout=false", "--log-level", "error"}
	// Inside the namespace: mount the tmpfs over dir, run, copy what is left out, keep the status.
	script := `mount -t tmpfs -o size=320k tmpfs "$1" || exit 99; "$2" -test.run='^$'; rc=$?; cp -a "$1"/. "$3"/; exit $rc`
	cmd := exec.Command("unshare", "-Urm", "sh", "-c", script, "sh", dir, os.Args[0], saved)
	cmd.Env = append(os.Environ(), "METAOOD_TEST_MAIN=1", "METAOOD_TEST_ARGS="+strings.Join(args, "\x1f"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1 (outputs failed)\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "output failed") || !strings.Contains(stderr.String(), "no space left") {
		t.Errorf("the summary does not name the outputs that failed:\n%s", stderr.String())
	}
	for _, name := range []string{"events.jsonl", "summary.csv"} {
		b, err := os.ReadFile(filepath.Join(saved, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			t.Errorf("%s (%d bytes) ends in half a line: %q", name, len(b), b[max(0, len(b)-60):])
		}
	}
}

// TestRunKilledKeepsClosedSegments: with --segment, SIGKILL mid-run loses only the open segment:
// every closed one plays, in the default WebM recording and in OpenCV's mp4.
func TestRunKilledKeepsClosedSegments(t *testing.T) {
	for _, ext := range []string{".webm", ".mp4"} {
		t.Run(ext[1:], func(t *testing.T) {
			dir := t.TempDir()
			// Replayed, not --realtime: a live edge under load drops frames, and a 1 s WebM segment (cut by
			// time) then holds fewer than 30; replayed, every segment holds exactly 30.
			cmd := metaoodChild(t, "run", "--source", "synth:frames=0,size=256x128,fps=30", "--input-size", "256x128", "--force",
				"--video", "annotated"+ext, "--segment", "1s", "--stdout=false", "--out", dir, "--log-level", "error")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			third := filepath.Join(dir, "annotated-0002"+ext) // exists once two segments are closed
			for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				if _, err := os.Stat(third); err == nil {
					break
				}
			}
			cmd.Process.Kill()
			cmd.Wait()
			segs, _ := filepath.Glob(filepath.Join(dir, "annotated-*"+ext))
			if len(segs) < 3 {
				t.Fatalf("segments %v after the kill, want at least 3\n%s", segs, stderr.String())
			}
			for _, p := range segs[:len(segs)-1] { // the last one was open
				src, err := capture.Open(p, capture.Options{}, nil)
				if err != nil {
					t.Errorf("closed segment %s unreadable after SIGKILL: %v", filepath.Base(p), err)
					continue
				}
				if frames, err := capture.ReadAll(t.Context(), src, 0); err != nil || len(frames) != 30 {
					t.Errorf("%s: %d frames (err %v), want 30 (1 s at 30 fps)", filepath.Base(p), len(frames), err)
				}
			}
		})
	}
}
