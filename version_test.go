package main

import (
	"runtime/debug"
	"testing"
)

func TestVersionText(t *testing.T) {
	vcs := []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "223d74c0123456789abcdef0123456789abcdef0"},
		{Key: "vcs.time", Value: "2026-11-29T20:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}
	for _, tc := range []struct {
		name     string
		info     *debug.BuildInfo
		override string
		want     string
	}{
		{"go install of a tag", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}},
			"", "genform v1.2.3\nbuilt with go1.26.8\n"},
		{"build in a checkout", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261129200000-223d74c01234+dirty"}, Settings: vcs},
			"", "genform v0.0.0-20261129200000-223d74c01234+dirty\ncommit 223d74c0123456789abcdef0123456789abcdef0 (2026-11-29T20:00:00Z, with uncommitted changes)\nbuilt with go1.26.8\n"},
		{"no version stamped", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "", "genform v0.1.0-dev\n"},
		{"-ldflags override", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v2.0.0", "genform v2.0.0\n"},
		{"no build info", nil, "", "genform v0.1.0-dev\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionText(tc.info, tc.override); got != tc.want {
				t.Errorf("versionText:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}
