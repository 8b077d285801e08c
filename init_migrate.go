package main

// This file holds genform init -migrate-state: moving a project's local state file into the
// backend its genform block names.

import (
	"context"
	"fmt"
	"time"

	"github.com/genform/genform/backend"
	"github.com/genform/genform/state"
)

// migrateState moves the local state (its journal folded in first) into the configured
// backend. It refuses a backend that holds another lineage, or the same lineage at a newer
// serial, unless force; a backend that already holds this state is left as it is.
func (c *cli) migrateState(force bool, lockTimeout time.Duration) int {
	p, ok := c.stateProject()
	if !ok {
		return 1
	}
	defer p.closeBackend()
	if p.cfg.Settings.Backend == nil {
		c.ui().Errorf("%s", "-migrate-state moves the state into the backend the genform block names, and it names none.\n"+
			"Add one first, for example:\n\n  genform {\n    backend \"pg\" {\n      conn_str = env(\"GENFORM_PG\")\n    }\n  }")
		return 1
	}
	ctx := context.Background()
	local := &backend.File{StatePath: p.statePath, WorkDir: p.work("")}
	llock, err := local.Lock(ctx, backend.LockRequest{Command: "init -migrate-state", Timeout: lockTimeout})
	if err != nil {
		c.ui().Error(err)
		return 1
	}
	defer llock.Unlock()
	st, status, err := local.Read(ctx)
	if err != nil {
		c.ui().Error(err)
		return 1
	}
	if !status.Exists && status.Pending == 0 {
		c.ui().Errorf("there is no local state to migrate (%s does not exist).", displayPath(p.statePath))
		return 1
	}
	if status.Pending > 0 { // an interrupted apply's journal: fold it into the file first
		if err := llock.Write(ctx, st); err != nil {
			c.ui().Error(err)
			return 1
		}
		fmt.Fprintf(c.stdout, "Folded %d instance(s) an interrupted apply recorded into %s.\n", status.Pending, displayPath(p.statePath))
	}
	if !c.lockProject(p, "init -migrate-state", lockTimeout) {
		return 1
	}
	defer p.lock.Unlock()
	remote, rstatus, err := p.backend.Read(ctx)
	if err != nil {
		c.ui().Error(err)
		return 1
	}
	where := p.backend.Describe()
	if rstatus.Exists {
		same, err := sameState(st, remote)
		if err != nil {
			c.ui().Error(err)
			return 1
		}
		switch {
		case same:
			fmt.Fprintf(c.stdout, "%s already holds this state (lineage %s, serial %d): nothing to migrate.\n", where, st.Lineage, remote.Serial)
			return 0
		case remote.Lineage != st.Lineage && !force:
			c.ui().Errorf("%s holds another state (lineage %s; the local one is %s). "+
				"Migrating would replace it; run with -force if that is what you want.", where, remote.Lineage, st.Lineage)
			return 1
		case remote.Lineage == st.Lineage && remote.Serial >= st.Serial && !force:
			c.ui().Errorf("%s holds a version of this state as new as the local one or newer (serial %d; the local one is %d), "+
				"with other content. Migrating would replace it; run with -force if that is what you want.", where, remote.Serial, st.Serial)
			return 1
		}
	}
	imp, ok := p.lock.(backend.Importer)
	if !ok {
		c.ui().Errorf("%s cannot take a migrated state", where)
		return 1
	}
	if err := imp.Import(ctx, st); err != nil {
		c.ui().Error(err)
		return 1
	}
	fmt.Fprintf(c.stdout, "Migrated %d instance(s) and %d video job(s) (lineage %s, serial %d) from %s to %s.\n",
		len(st.Records), len(st.Jobs), st.Lineage, st.Serial, displayPath(p.statePath), where)
	fmt.Fprintf(c.stdout, "genform now reads and writes the state there; %s is no longer read: keep it as a backup, or delete it.\n",
		displayPath(p.statePath))
	return 0
}

// sameState tells whether two states hold the same records and jobs under the same lineage.
func sameState(a, b *state.File) (bool, error) {
	if a.Lineage != b.Lineage {
		return false, nil
	}
	x, err := state.Marshal(&state.File{Lineage: a.Lineage, Records: a.Records, Jobs: a.Jobs})
	if err != nil {
		return false, err
	}
	y, err := state.Marshal(&state.File{Lineage: b.Lineage, Records: b.Records, Jobs: b.Jobs})
	return err == nil && string(x) == string(y), err
}
