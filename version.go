package main

import "fmt"

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func cmdVersion(c *cli, args []string) int {
	fs := newFlags(c, "version", "")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	fmt.Fprintf(c.stdout, "genform v%s\n", version)
	return 0
}
