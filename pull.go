package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/state"
)

func cmdPull(c *cli, args []string) int {
	fs := newFlags(c, "pull", "[-lock-timeout=DURATION] [ADDR...]")
	lockTimeout := lockTimeoutFlag(fs)
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	p, ok := c.stateOnly()
	if !ok || c.noProject(p, "to pull") || !c.openCaches(p) {
		return 1
	}
	if !checkAddrs(c, p.st, fs.Args()) {
		return 1
	}
	lock := c.lockCheckout(p, "pull", *lockTimeout)
	if lock == nil {
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
	tally, failures := c.transfer("Pulling", recs, func(rec *state.Record) (string, error) {
		return c.pullOne(ctx, p, rec) // "" in place, "state", "local", or the shared cache
	})
	_ = p.stat.Save() // only a cache
	fromState, local, inPlace := tally["state"], tally["local"], tally[""]
	shared := len(recs) - len(failures) - fromState - local - inPlace
	var stateText string
	if fromState > 0 { // chats only: a project of files never reads its outputs from the state
		stateText = fmt.Sprintf("%d from the state, ", fromState)
	}
	fmt.Fprintf(c.stdout, "Pulled %s (%s%d from the local cache, %d from the shared cache); %s in place already.\n",
		plural(fromState+local+shared, "output", "outputs"), stateText, local, shared, plural(inPlace, "was", "were"))
	if len(failures) > 0 {
		fmt.Fprintf(c.stdout, "%s not be pulled: genform plan shows what generating them again costs.\n", plural(len(failures), "output could", "outputs could"))
		return 1
	}
	return 0
}

// pullOne puts one recorded output back in place when it is missing or changed on disk, from
// the record (a chat's text), the local cache or the shared cache; it says where from: "state",
// "local", "shared", or "" when the file was in place. A changed file is moved into the local cache first, so nothing on
// disk is lost.
func (c *cli) pullOne(ctx context.Context, p *project, rec *state.Record) (string, error) {
	o := rec.Output
	abs, err := engine.InsideProject(p.dir, o.Path)
	if err != nil {
		return "", err
	}
	switch sha, _, err := p.stat.Hash(abs); { // by stat when the file did not change
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
		from = "state"
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
	_ = p.stat.Remember(abs, o.SHA256)
	return from, nil
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
