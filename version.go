package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// version, when set at build time with -ldflags "-X main.version=...", overrides the
// version the Go toolchain stamps from the module and its VCS.
var version = ""

// devVersion is what a build with no version information says (go run, a build outside a
// git checkout).
const devVersion = "0.1.0-dev"

func cmdVersion(c *cli, args []string) int {
	fs := newFlags(c, "version", "")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fs, "version takes no arguments")
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprint(c.stdout, versionText(info, version))
	return 0
}

// genformVersion is the version saved plans record: -ldflags' if set, else the module's.
func genformVersion() string {
	info, _ := debug.ReadBuildInfo()
	return moduleVersion(info, version)
}

// moduleVersion is the version of the build: the -ldflags override, else the main module's
// version as the Go toolchain stamped it (a tag, or a pseudo-version from the commit when
// built in a git checkout, "+dirty" with uncommitted changes), else devVersion.
func moduleVersion(info *debug.BuildInfo, override string) string {
	v := override
	if v == "" && info != nil && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	if v == "" {
		v = devVersion
	}
	return strings.TrimPrefix(v, "v")
}

// versionText is what genform version prints: the version, then the commit it was built
// from and the Go version, when the build recorded them.
func versionText(info *debug.BuildInfo, override string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "genform v%s\n", moduleVersion(info, override))
	if info == nil {
		return b.String()
	}
	vcs := map[string]string{}
	for _, s := range info.Settings {
		vcs[s.Key] = s.Value
	}
	if rev := vcs["vcs.revision"]; rev != "" {
		fmt.Fprintf(&b, "commit %s", rev)
		var notes []string
		if t := vcs["vcs.time"]; t != "" {
			notes = append(notes, t)
		}
		if vcs["vcs.modified"] == "true" {
			notes = append(notes, "with uncommitted changes")
		}
		if len(notes) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(notes, ", "))
		}
		b.WriteString("\n")
	}
	if info.GoVersion != "" {
		fmt.Fprintf(&b, "built with %s\n", info.GoVersion)
	}
	return b.String()
}
