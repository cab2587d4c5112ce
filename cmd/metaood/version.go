package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
)

// version is stamped by `make build`: -ldflags "-X main.version=$(git describe --always --dirty)".
// Empty in a plain `go build` or `go install`: versionString then asks the build info.
var version string

func cmdVersion(ctx context.Context, args []string) error {
	fmt.Println("metaood", versionString())
	return nil
}

// versionString is the stamped version, else what the Go toolchain recorded in the binary.
func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return describeVersion(version, bi)
}

// describeVersion returns stamped when set. Otherwise it builds the version from bi: the main
// module's version (v1.2.3 from `go install …@v1.2.3`, a pseudo-version from a build in a
// checkout; "dev" for "(devel)" or none), then the commit (vcs.revision, 12 digits) and
// "-dirty" when the work tree had changes (vcs.modified), unless the module version already
// names them. bi may be nil (a binary without build info): "dev".
func describeVersion(stamped string, bi *debug.BuildInfo) string {
	if stamped != "" {
		return stamped
	}
	if bi == nil {
		return "dev"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	var rev string
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" && !strings.Contains(v, rev) {
		v += " (" + rev
		if modified {
			v += "-dirty"
		}
		v += ")"
	} else if modified && !strings.Contains(v, "dirty") {
		v += " (dirty)"
	}
	return v
}
