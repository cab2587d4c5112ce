package sdnotify

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listen opens a unixgram socket at name, as systemd does, and returns it.
func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func receive(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestReadyOnPathSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify.sock")
	c := listen(t, sock)
	t.Setenv(EnvSocket, sock)
	Ready(nil)
	if got := receive(t, c); got != "READY=1" {
		t.Errorf("systemd got %q, want READY=1", got)
	}
	sent, err := Notify("STATUS=processing\nREADY=1")
	if !sent || err != nil {
		t.Fatalf("Notify = %v, %v", sent, err)
	}
	if got := receive(t, c); got != "STATUS=processing\nREADY=1" {
		t.Errorf("systemd got %q", got)
	}
}

func TestReadyOnAbstractSocket(t *testing.T) {
	name := fmt.Sprintf("@metaood-sdnotify-test-%d", os.Getpid())
	c := listen(t, name)
	t.Setenv(EnvSocket, name)
	if sent, err := Notify("READY=1"); !sent || err != nil {
		t.Fatalf("Notify = %v, %v", sent, err)
	}
	if got := receive(t, c); got != "READY=1" {
		t.Errorf("systemd got %q, want READY=1", got)
	}
}

func TestOutsideSystemd(t *testing.T) {
	t.Setenv(EnvSocket, "")
	if sent, err := Notify("READY=1"); sent || err != nil {
		t.Errorf("without %s: Notify = %v, %v; want false, nil", EnvSocket, sent, err)
	}
}

func TestFailureIsLoggedNotFatal(t *testing.T) {
	for _, addr := range []string{filepath.Join(t.TempDir(), "absent.sock"), "vsock:2:1234"} {
		t.Setenv(EnvSocket, addr)
		if sent, err := Notify("READY=1"); sent || err == nil {
			t.Errorf("%s=%s: Notify = %v, %v; want an error", EnvSocket, addr, sent, err)
		}
		var b bytes.Buffer
		Ready(slog.New(slog.NewTextHandler(&b, nil)))
		if !strings.Contains(b.String(), "could not tell systemd") {
			t.Errorf("%s=%s: Ready logged %q", EnvSocket, addr, b.String())
		}
	}
}
