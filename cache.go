package main

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"time"

	"github.com/genform/genform/remote"
	"github.com/genform/genform/view"
)

func cmdCache(c *cli, args []string) int {
	if len(args) == 0 || args[0] != "gc" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			fmt.Fprintln(c.stdout, "Usage: genform cache gc [-dry-run] [-remote] [-keep DURATION] [-lock-timeout=DURATION]")
			return 0
		}
		if len(args) > 0 {
			c.ui().Errorf("unknown cache command %q\n", args[0])
		}
		fmt.Fprintln(c.stderr, "Usage: genform cache gc [-dry-run] [-remote] [-keep DURATION] [-lock-timeout=DURATION]")
		return 1
	}
	fs := newFlags(c, "cache gc", "[-dry-run] [-remote] [-keep DURATION] [-lock-timeout=DURATION]")
	dry := fs.Bool("dry-run", false, "say what would be removed, remove nothing")
	shared := fs.Bool("remote", false, "collect the shared cache instead of the local .genform/cache")
	keep := fs.Duration("keep", 30*24*time.Hour, "keep entries and blobs written within this `DURATION` even when the state no longer references them")
	lockTimeout := lockTimeoutFlag(fs)
	if code := parseFlags(c, fs, args[1:]); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fs, "cache gc takes no arguments")
	}
	return c.gc(fs, *dry, *shared, *keep, *lockTimeout)
}

func (c *cli) gc(fs *flag.FlagSet, dry, shared bool, keep, lockTimeout time.Duration) int {
	var p *project
	var ok bool
	if shared {
		p, ok = c.sharedProject()
	} else {
		p, ok = c.stateOnly()
		ok = ok && !c.noProject(p, "to collect") && c.openCaches(p)
	}
	if !ok {
		return 1
	}
	lock := c.lockCheckout(p, "cache gc", lockTimeout)
	if lock == nil {
		return 1
	}
	defer lock.Unlock()
	hashes, blobs := map[string]bool{}, map[string]bool{}
	for _, rec := range p.st.Records {
		hashes[rec.InputHash] = true
		if rec.Output != nil {
			blobs[rec.Output.SHA256] = true
		}
	}
	since := time.Now().Add(-keep)
	verb := "Removed"
	if dry {
		verb = "Would remove"
	}
	if !shared {
		res, err := p.cache.Collect(hashes, blobs, since, dry)
		if err != nil {
			c.ui().Error(err)
			return 1
		}
		fmt.Fprintf(c.stdout, "%s %d entries and %d blobs (%s) from .genform/cache.\n", verb, res.Entries, res.Blobs, view.ByteSize(res.Bytes))
		return 0
	}
	var counter *view.Counter
	var once sync.Once
	res, err := p.shared.GC(context.Background(), remote.GCPlan{
		Hashes: hashes, Blobs: blobs, Since: since, DryRun: dry,
		Progress: func(done, total int) {
			once.Do(func() { counter = view.NewCounter(c.stderr, view.IsTerminal(c.stderr), "Removing", total) })
			counter.Add(1)
		},
	})
	if counter != nil {
		counter.Close()
	}
	if err != nil {
		c.ui().Error(err)
		return 1
	}
	fmt.Fprintf(c.stdout, "%s %d entries and %d blobs (%s) from %s; kept %d entries and %d blobs.\n",
		verb, res.Entries, res.Blobs, view.ByteSize(res.Bytes), p.shared, res.KeptEntries, res.KeptBlobs)
	return 0
}
