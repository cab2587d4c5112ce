package main

import (
	"runtime/debug"
	"testing"
)

func TestDescribeVersion(t *testing.T) {
	rev := "0a91a37c0ffee0123456789abcdef0123456789a"
	info := func(v string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/metaood/metaood", Version: v}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	for _, c := range []struct {
		name, stamped string
		bi            *debug.BuildInfo
		want          string
	}{
		{"stamped by make wins", "0a91a37-dirty", info("v1.2.3", "vcs.revision", rev), "0a91a37-dirty"},
		{"no build info", "", nil, "dev"},
		{"go install of a tag", "", info("v1.2.3"), "v1.2.3"},
		{"local build, clean", "", info("(devel)", "vcs.revision", rev, "vcs.modified", "false"), "dev (0a91a37c0ffe)"},
		{"local build, modified", "", info("(devel)", "vcs.revision", rev, "vcs.modified", "true"), "dev (0a91a37c0ffe-dirty)"},
		{"pseudo-version names the commit", "", info("v0.0.0-20261203101800-0a91a37c0ffe+dirty", "vcs.revision", rev, "vcs.modified", "true"),
			"v0.0.0-20261203101800-0a91a37c0ffe+dirty"},
		{"modified without revision", "", info("", "vcs.modified", "true"), "dev (dirty)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := describeVersion(c.stamped, c.bi); got != c.want {
				t.Errorf("describeVersion(%q, …) = %q, want %q", c.stamped, got, c.want)
			}
		})
	}
	// The test binary has build info: the real path gives something, never "".
	if v := versionString(); v == "" {
		t.Error("versionString() is empty")
	}
}
