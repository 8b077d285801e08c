package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/genform/genform/asset"
	"github.com/genform/genform/engine"
	"github.com/genform/genform/state"
	"github.com/genform/genform/view"
	"golang.org/x/sync/errgroup"
)

// transfers is how many uploads or downloads push and pull run at once.
const transfers = 16

// transfer runs one for every record, transfers at a time, under a counter on stderr that
// says verb; it counts the outcomes one names, and prints and returns the failures, each
// with its address.
func (c *cli) transfer(verb string, recs []*state.Record, one func(*state.Record) (string, error)) (map[string]int, []error) {
	var mu sync.Mutex
	tally := map[string]int{}
	var failures []error
	byCause := map[string][]string{} // the failures' causes, each with the addresses it stopped
	counter := view.NewCounter(c.stderr, view.IsTerminal(c.stderr), verb, len(recs))
	g := new(errgroup.Group)
	g.SetLimit(transfers)
	for _, rec := range recs {
		g.Go(func() error {
			defer counter.Add(1)
			outcome, err := one(rec)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, fmt.Errorf("%s: %w", rec.Addr, err))
				byCause[err.Error()] = append(byCause[err.Error()], rec.Addr)
			} else {
				tally[outcome]++
			}
			return nil
		})
	}
	g.Wait()
	counter.Close()
	// one cause (the shared cache unreachable) is said once, not once per address
	for _, cause := range slices.Sorted(maps.Keys(byCause)) {
		addrs := byCause[cause]
		if len(addrs) == 1 {
			c.ui().Errorf("%s: %s", addrs[0], cause)
			continue
		}
		slices.SortFunc(addrs, asset.CompareAddrs)
		list := strings.Join(addrs[:min(3, len(addrs))], ", ")
		if len(addrs) > 3 {
			list += fmt.Sprintf(" and %d more", len(addrs)-3)
		}
		c.ui().Errorf("%s\n(%d outputs: %s)", cause, len(addrs), list)
	}
	return tally, failures
}

func cmdPush(c *cli, args []string) int {
	fs := newFlags(c, "push", "[ADDR...]")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	p, ok := c.sharedProject()
	if !ok {
		return 1
	}
	if !p.upload {
		c.ui().Errorf("uploads to the shared cache are off (upload = false in the cache block, or GENFORM_CACHE_UPLOAD=false): push would write to it.")
		return 1
	}
	if !checkAddrs(c, p.st, fs.Args()) {
		return 1
	}
	recs := selectedRecords(p.st, fs.Args())
	ctx := context.Background()
	tally, failures := c.transfer("Pushing", recs, func(rec *state.Record) (string, error) {
		switch err := c.pushOne(ctx, p, rec); {
		case err == nil:
			return "sent", nil
		case errors.Is(err, errPresent):
			return "present", nil
		default:
			return "", err
		}
	})
	fmt.Fprintf(c.stdout, "Pushed %s to %s; %s there already", plural(tally["sent"], "result", "results"), p.shared,
		plural(tally["present"], "was", "were"))
	if n := len(failures); n > 0 {
		fmt.Fprintf(c.stdout, "; %d could not be pushed.\n", n)
		return 1
	}
	fmt.Fprintln(c.stdout, ".")
	return 0
}

var (
	errPresent = errors.New("already in the shared cache")
	errNoCopy  = errors.New("its output is neither in the local cache nor on disk as recorded")
)

// pushOne uploads one record and its output unless the shared cache has both. An output
// missing from the local cache is taken from its file when that still matches the record.
func (c *cli) pushOne(ctx context.Context, p *project, rec *state.Record) error {
	hasEntry, err := p.shared.HasEntry(ctx, rec.InputHash)
	if err != nil {
		return err
	}
	blob := rec.Output != nil && rec.Kind != "chat"
	if blob {
		o := rec.Output
		if ok, err := p.shared.HasBlob(ctx, o.SHA256, o.Size); err != nil {
			return err
		} else if ok && hasEntry {
			return errPresent
		}
		if !p.cache.Has(o.SHA256) {
			abs, err := engine.InsideProject(p.dir, o.Path)
			if err != nil || p.cache.PutKnown(abs, o.SHA256) != nil {
				return errNoCopy
			}
		}
	} else if hasEntry {
		return errPresent
	}
	return p.shared.Upload(ctx, rec, p.cache)
}

// sharedProject opens what push, pull and cache gc need: the state, the local cache and the
// shared cache the genform block declares (an error when it declares none). The
// configuration may have errors elsewhere: only the genform block is needed.
func (c *cli) sharedProject() (*project, bool) {
	p, ok := c.stateOnly()
	if !ok || !c.openCaches(p) {
		return nil, false
	}
	if p.shared == nil {
		c.ui().Errorf("no shared cache is declared.\n\n" +
			"Declare one in the genform block, a shared folder or a bucket:\n\n" +
			"  genform {\n    cache \"dir\" { path = \"/mnt/shared/genform-cache\" }\n  }")
		return nil, false
	}
	return p, true
}

// selectedRecords lists the state's records in address order, only those ADDRs name when
// any are given, leaving out records with no input hash.
func selectedRecords(st *state.File, addrs []string) []*state.Record {
	var out []*state.Record
	for _, addr := range slices.Sorted(maps.Keys(st.Records)) {
		rec := st.Records[addr]
		if rec.InputHash == "" || (len(addrs) > 0 && !matchesAny(addr, addrs)) {
			continue
		}
		out = append(out, rec)
	}
	return out
}
