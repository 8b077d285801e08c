package main

import (
	"fmt"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/remote"
	"github.com/genform/genform/remote/dir"
	"github.com/genform/genform/remote/s3"
	"github.com/hashicorp/hcl/v2"
)

// openShared opens the shared output cache the genform block declares (nil when none). It
// sends nothing: an unreachable remote shows on first use, as a warning.
func (c *cli) openShared(p *project) bool {
	sc := p.cfg.Cache
	if sc == nil {
		return true
	}
	var store remote.Store
	var err error
	switch sc.Type {
	case "dir":
		store, err = dir.Open(sc.Path)
	case "s3":
		store, err = s3.Open(s3.Config{Bucket: sc.Bucket, Prefix: sc.Prefix, Endpoint: sc.Endpoint, Region: sc.Region})
	default:
		panic("openShared: cache type " + sc.Type + " passed schema")
	}
	if err != nil {
		c.ui().Diagnostics(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unusable shared cache",
			Detail: fmt.Sprintf("The cache %q block cannot be used: %v.", sc.Type, err), Subject: sc.DeclRange.Ptr()}}, p.cfg.Files)
		return false
	}
	p.shared, p.upload = remote.New(store), sc.Upload
	return true
}

// sharedCache is the project's shared cache for the engine: a nil interface when there is
// none.
func (p *project) sharedCache() engine.Shared {
	if p.shared == nil {
		return nil
	}
	return p.shared
}

// uploadWarnings tells which results stayed local because the shared cache refused them.
func (c *cli) uploadWarnings(sum *engine.Summary) {
	if len(sum.UploadFailures) == 0 {
		return
	}
	fmt.Fprintln(c.stderr)
	c.ui().Warnf("%s not uploaded to the shared cache: kept locally; genform push sends them later.",
		plural(len(sum.UploadFailures), "result was", "results were"))
	for i, f := range sum.UploadFailures {
		if i == 5 {
			fmt.Fprintf(c.stderr, "  ... and %d more\n", len(sum.UploadFailures)-i)
			break
		}
		fmt.Fprintf(c.stderr, "  %s: %v\n", f.Addr, f.Err)
	}
}

// plural is "1 result was" or "3 results were".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
