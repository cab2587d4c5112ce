// Package sdnotify tells systemd how a service started with Type=notify is doing, as sd_notify(3)
// does: one datagram of "KEY=VALUE" lines to the unix socket named by $NOTIFY_SOCKET. Outside
// systemd (no $NOTIFY_SOCKET) every call does nothing. Pure Go, no libsystemd.
package sdnotify

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
)

// EnvSocket is the variable systemd sets to the socket's path ("/run/…") or abstract name ("@…").
const EnvSocket = "NOTIFY_SOCKET"

// Notify sends state, e.g. "READY=1" or "STATUS=processing\nREADY=1", to $NOTIFY_SOCKET. sent is
// false (and err nil) when the variable is unset.
func Notify(state string) (sent bool, err error) {
	addr := os.Getenv(EnvSocket)
	if addr == "" {
		return false, nil
	}
	if addr[0] != '/' && addr[0] != '@' {
		return false, fmt.Errorf("sdnotify: %s=%q: only unix socket paths and @abstract names are supported", EnvSocket, addr)
	}
	// Go maps a leading '@' to Linux's abstract namespace, as systemd means it.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return false, fmt.Errorf("sdnotify: %w", err)
	}
	_, werr := conn.Write([]byte(state))
	cerr := conn.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return false, fmt.Errorf("sdnotify: %w", err)
	}
	return true, nil
}

// Ready sends READY=1: the service is set up and working. A failure is logged on log (may be nil)
// and not returned: the service runs on either way, and systemd reports the missing readiness.
func Ready(log *slog.Logger) {
	if _, err := Notify("READY=1"); err != nil && log != nil {
		log.Warn("could not tell systemd the service is ready", "err", strings.TrimPrefix(err.Error(), "sdnotify: "))
	}
}
