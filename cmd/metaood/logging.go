package main

import (
	"io"
	"log/slog"
)

// newLogger returns a text logger on w at level (debug | info | warn | error).
func newLogger(level string, w io.Writer) *slog.Logger { return newLoggerAs(level, "text", w) }

// newLoggerAs returns the logger of `metaood run` on w: level debug | info | warn | error, format
// text (slog's key=value lines) or json (one JSON object a line, with "time", "level", "msg" and
// the attributes, for journald or a log shipper). config validates both; anything else gives info
// and text.
func newLoggerAs(level, format string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
