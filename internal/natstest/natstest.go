// Package natstest starts a real nats-server with JetStream (Debian's nats-server) for tests: on
// a free loopback port, its store in a temporary folder, stopped when the test ends. No mock
// broker: the fleet's guarantees (work queue, redelivery, duplicate window) are the server's.
package natstest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/metaood/metaood/internal/syncbuf"
)

// Binary returns the nats-server executable. It skips the test when nats-server is missing, or
// fails it under METAOOD_REQUIRE_SHARED=1 (CI must run the fleet tests, not skip them).
func Binary(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("nats-server")
	if err != nil {
		if os.Getenv("METAOOD_REQUIRE_SHARED") == "1" {
			tb.Fatalf("nats-server is required for the fleet tests (apt-get install nats-server): %v", err)
		}
		tb.Skipf("nats-server not installed (apt-get install nats-server); skipping the fleet test")
	}
	return path
}

// Server is a running nats-server -js. Restart keeps its port and store.
type Server struct {
	URL      string
	StoreDir string
	bin      string
	port     int
	tb       testing.TB

	mu  sync.Mutex
	cmd *exec.Cmd
	log *syncbuf.Buffer
}

// Start runs nats-server with JetStream on a free loopback port; it is stopped at the end of the test.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{bin: Binary(tb), StoreDir: tb.TempDir(), port: freePort(tb), tb: tb}
	s.URL = "nats://127.0.0.1:" + strconv.Itoa(s.port)
	s.start()
	tb.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = new(syncbuf.Buffer)
	cmd := exec.Command(s.bin, "-js", "-a", "127.0.0.1", "-p", strconv.Itoa(s.port), "-sd", s.StoreDir)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("start nats-server: %v", err)
	}
	s.cmd = cmd
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(s.port), 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
	}
	s.tb.Fatalf("nats-server did not listen on port %d within 10 s:\n%s", s.port, s.log.String())
}

// Stop ends the server (SIGTERM, then SIGKILL after 5 s); stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

// Restart stops the server and starts it again on the same port with the same store.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	s.start()
}

// Log is what the server printed since it last started.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// freePort asks the kernel for a free loopback port. Another process may take it before the
// server binds it; the start then fails loudly.
func freePort(tb testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// String is the URL.
func (s *Server) String() string { return fmt.Sprintf("nats-server %s (store %s)", s.URL, s.StoreDir) }
