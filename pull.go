package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/state"
	"github.com/genform/genform/view"
	"golang.org/x/sync/errgroup"
)

func cmdPull(c *cli, args []string) int {
	fs := newFlags(c, "pull", "[ADDR...]")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	p, ok := c.stateOnly()
	if !ok || !c.openCaches(p) {
		return 1
	}
	if !checkAddrs(c, p.st, fs.Args()) {
		return 1
	}
	lock, err := state.Lock(p.work("lock"), "pull")
	if err != nil {
		c.ui().Error(err)
		return 1
	}
	defer lock.Unlock()

	var recs []*state.Record
	for _, rec := range selectedRecords(p.st, fs.Args()) {
		if rec.Output != nil && rec.Output.Path != "" {
			recs = append(recs, rec)
		}
	}
	ctx := context.Background()
	var inPlace, local, shared atomic.Int64
	var mu sync.Mutex
	var failures []error
	counter := view.NewCounter(c.stderr, view.IsTerminal(c.stderr), "Pulling", len(recs))
	g := new(errgroup.Group)
	g.SetLimit(transfers)
	for _, rec := range recs {
		g.Go(func() error {
			defer counter.Add(1)
			from, err := c.pullOne(ctx, p, rec)
			switch {
			case err != nil:
				mu.Lock()
				failures = append(failures, fmt.Errorf("%s: %w", rec.Addr, err))
				mu.Unlock()
			case from == "":
				inPlace.Add(1)
			case from == "local":
				local.Add(1)
			default:
				shared.Add(1)
			}
			return nil
		})
	}
	g.Wait()
	counter.Close()
	if p.stat != nil {
		_ = p.stat.Save() // only a cache
	}
	for _, err := range failures {
		c.ui().Error(err)
	}
	fmt.Fprintf(c.stdout, "Pulled %d outputs (%d from the local cache, %d from the shared cache); %d were in place already.\n",
		local.Load()+shared.Load(), local.Load(), shared.Load(), inPlace.Load())
	if len(failures) > 0 {
		fmt.Fprintf(c.stdout, "%d outputs could not be pulled: genform plan shows what generating them again costs.\n", len(failures))
		return 1
	}
	return 0
}

// pullOne puts one recorded output back in place when it is missing or changed on disk, from
// the record (a chat's text), the local cache or the shared cache; it says where from ("" when
// the file was in place). A changed file is moved into the local cache first, so nothing on
// disk is lost.
func (c *cli) pullOne(ctx context.Context, p *project, rec *state.Record) (string, error) {
	o := rec.Output
	abs, err := engine.InsideProject(p.dir, o.Path)
	if err != nil {
		return "", err
	}
	switch sha, err := hashFileAt(abs); {
	case err == nil && sha == o.SHA256:
		return "", nil
	case err == nil:
		if _, err := p.cache.Stash(abs); err != nil {
			return "", fmt.Errorf("keeping the changed %s: %w", o.Path, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return "", err
	}
	from := "local"
	if rec.Kind == "chat" {
		data := []byte(rec.Text)
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != o.SHA256 {
			return "", fmt.Errorf("the recorded text does not match the recorded file")
		}
		if err := state.WriteFileAtomic(abs, data, 0o644); err != nil {
			return "", err
		}
	} else {
		if !p.cache.Has(o.SHA256) {
			if p.shared == nil {
				return "", fmt.Errorf("%s is not in the local cache, and no shared cache is declared", o.Path)
			}
			if err := p.shared.Fetch(ctx, o.SHA256, o.Size, p.cache); err != nil {
				return "", err
			}
			from = "shared"
		}
		if err := p.cache.Restore(o.SHA256, abs); err != nil {
			return "", err
		}
	}
	if p.stat != nil {
		_ = p.stat.Remember(abs, o.SHA256)
	}
	return from, nil
}

// hashFileAt returns the sha256 of a file's content.
func hashFileAt(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := f.WriteTo(h); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkAddrs reports an ADDR that names no recorded instance.
func checkAddrs(c *cli, st *state.File, addrs []string) bool {
	ok := true
	for _, a := range addrs {
		found := false
		for addr := range st.Records {
			if matchesAny(addr, []string{a}) {
				found = true
				break
			}
		}
		if !found {
			c.ui().Errorf("no recorded instance matches %s (genform state list shows them).", a)
			ok = false
		}
	}
	return ok
}
