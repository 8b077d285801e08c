package main

// This file holds apply on the pg backend: the plan becomes a run that runners on other
// machines join; this apply works on it too, waits for it to end, places in its own checkout
// every output the others made (restores only, never paid), and prints the summary.

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/genform/genform/backend/pg"
	"github.com/genform/genform/engine"
	"github.com/genform/genform/view"
)

func (c *cli) applyRun(p *project, plan *engine.Plan, be *pg.Backend, v view.Apply, o applyOptions) int {
	ctx := context.Background()
	if o.parallelism <= 0 {
		o.parallelism = p.cfg.Settings.Parallelism
	}
	// Deletes move files of this checkout into its cache: this apply does them first (they
	// wait for nothing), so instances that write a freed path wait for nothing here either.
	tmp, err := c.startApply(p)
	if err != nil {
		c.ui().Error(err)
		return 1
	}
	// Moves need no provider: this apply records them first too, so that the runners, which
	// plan their instances on the state they read, find each at its new address.
	moved, ok := c.runMoves(p, plan)
	if !ok {
		return 1
	}
	deleted, ok := c.runDeletes(p, plan, o.parallelism, tmp)
	if !ok {
		return 1
	}
	tasks := runTasks(plan)
	if len(tasks) == 0 { // only deletes
		if err := c.writeState(p); err != nil {
			c.ui().Error(err)
			return 1
		}
		sum := &engine.Summary{Moved: moved, Deleted: deleted}
		v.Summary(sum)
		if o.gallery && !c.applyGallery(p, plan, sum, v) {
			return 1
		}
		return 0
	}
	run, err := be.CreateRun(ctx, plan.ConfigHash, p.st.Lineage, tasks)
	if err != nil {
		c.ui().Error(err)
		return 1
	}
	info := c.stdout
	if o.json {
		info = c.stderr
	}
	fmt.Fprintf(info, "\nRun %d: other machines can join with genform runner\n", run)
	interrupted := false
	interrupt, stop := c.runInterrupts("the run hands out nothing more; runners finish what they hold", func() {
		interrupted = true
		_ = be.StopRun(context.Background(), run, "stopped")
	})
	defer stop()
	w := &runWorker{c: c, p: p, be: be, run: run, runner: runnerID(), parallelism: o.parallelism, lease: be.Lease(),
		hook: v.Progress(len(tasks)), tmp: tmp, interrupt: interrupt}
	err = w.loop(ctx)
	v.Done()
	if err != nil {
		_ = be.StopRun(ctx, run, "stopped")
		c.ui().Errorf("%v\nWhat finished is recorded and is picked up by the next run.", err)
		return 1
	}
	s, err := waitRun(ctx, be, run, interrupt, func(left int) {
		fmt.Fprintf(info, "Waiting for %d instance(s) other runners hold.\n", left)
	})
	if err != nil {
		c.ui().Error(err)
		return 1
	}
	final := "done"
	if interrupted || s.Left() > 0 {
		final = "stopped"
	}
	if err := be.StopRun(ctx, run, final); err != nil {
		c.ui().Error(err)
		return 1
	}
	if !c.placeRunOutputs(p, be, o.parallelism, tmp) {
		return 1
	}
	sum, ok := c.runSummary(be, run, s, v, o.json, moved, deleted)
	if !ok {
		return 1
	}
	if o.gallery && !c.applyGallery(p, plan, sum, v) {
		return 1
	}
	if sum.Failed > 0 || sum.NotStarted > 0 || sum.Skipped > 0 {
		return 1
	}
	return 0
}

// runTasks are the instances of the plan a run hands out: every change but the deletes
// (this apply does them) and the no-ops whose input is known.
func runTasks(plan *engine.Plan) []pg.Task {
	ups := plan.Upstreams()
	var tasks []pg.Task
	for _, ch := range plan.Changes {
		if ch.Action == engine.Delete || ch.Action == engine.NoOp && ch.InputHash != "" {
			continue
		}
		tasks = append(tasks, pg.Task{Addr: ch.Addr, Action: string(ch.Action), Deps: ups[ch.Addr]})
	}
	return tasks
}

// runMoves records the plan's moves, and says how many records moved.
func (c *cli) runMoves(p *project, plan *engine.Plan) (int, bool) {
	if len(plan.Moves) == 0 {
		return 0, true
	}
	journal, err := p.lock.Recorder(context.Background(), p.st)
	if err != nil {
		c.ui().Error(err)
		return 0, false
	}
	moved, err := engine.ApplyMoves(plan, p.st, journal)
	journal.Close()
	if err != nil {
		c.ui().Error(err)
		return 0, false
	}
	return moved, true
}

// runDeletes carries out the plan's deletes in this checkout.
func (c *cli) runDeletes(p *project, plan *engine.Plan, parallelism int, tmp string) (int, bool) {
	var deletes []string
	for _, ch := range plan.Changes {
		if ch.Action == engine.Delete {
			deletes = append(deletes, ch.Addr)
		}
	}
	if len(deletes) == 0 {
		return 0, true
	}
	ctx := context.Background()
	dp, diags := engine.NewPlan(p.cfg, p.st, p.cache, engine.Options{Providers: p.providers, Stat: p.stat, Targets: deletes, Shared: p.sharedCache()})
	if c.ui().Diagnostics(diags, p.cfg.Files) || dp == nil {
		return 0, false
	}
	journal, err := p.lock.Recorder(ctx, p.st)
	if err != nil {
		c.ui().Error(err)
		return 0, false
	}
	sum, fatal := engine.Apply(ctx, dp, p.st, engine.ApplyOptions{Parallelism: parallelism, Journal: journal,
		Cache: p.cache, Stat: p.stat, TempDir: tmp, Shared: p.sharedCache()})
	journal.Close()
	if fatal != nil {
		c.ui().Error(fatal)
		return 0, false
	}
	for _, f := range sum.Failures {
		c.ui().Warnf("deleting %s: %v", f.Addr, f.Err)
	}
	return sum.Deleted, true
}

// placeRunOutputs brings into this checkout the outputs other runners made, from the caches
// this checkout reads, then folds the run's records into the serial. Nothing is paid for
// here: an output no cache holds is reported.
func (c *cli) placeRunOutputs(p *project, be *pg.Backend, parallelism int, tmp string) bool {
	ctx := context.Background()
	st, _, err := be.Read(ctx)
	if err != nil {
		c.ui().Error(err)
		return false
	}
	p.st = st
	p.refreshShared()
	full, diags := engine.NewPlan(p.cfg, st, p.cache, engine.Options{Providers: p.providers, Stat: p.stat, Shared: p.sharedCache()})
	if c.ui().Diagnostics(diags, p.cfg.Files) || full == nil {
		return false
	}
	var restores, missing []string
	for _, ch := range full.Changes {
		switch {
		case ch.Action == engine.Restore:
			restores = append(restores, ch.Addr)
		case ch.Action.Paid() && st.Records[ch.Addr] != nil:
			missing = append(missing, ch.Addr)
		}
	}
	if len(restores) > 0 {
		plan, diags := engine.NewPlan(p.cfg, st, p.cache, engine.Options{Providers: p.providers, Stat: p.stat, Targets: restores, Shared: p.sharedCache()})
		if c.ui().Diagnostics(diags, p.cfg.Files) || plan == nil {
			return false
		}
		for _, ch := range plan.Changes {
			if ch.Action.Paid() {
				c.ui().Errorf("placing the run's outputs would generate %s again; nothing was placed.", ch.Addr)
				return false
			}
		}
		journal, err := p.lock.Recorder(ctx, st)
		if err != nil {
			c.ui().Error(err)
			return false
		}
		sum, fatal := engine.Apply(ctx, plan, st, engine.ApplyOptions{Parallelism: parallelism, Journal: journal,
			Cache: p.cache, Stat: p.stat, TempDir: tmp, Shared: p.sharedCache()})
		journal.Close()
		if fatal != nil {
			c.ui().Errorf("%v", fatal)
			return false
		}
		for _, f := range sum.Failures {
			c.ui().Warnf("placing %s: %v", f.Addr, f.Err)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		c.ui().Warnf("%d output(s) other runners generated are not in this checkout or a cache it reads: %s. "+
			"They are recorded; bring them over through the shared cache (genform block's cache) before planning here.",
			len(missing), strings.Join(missing, ", "))
	}
	if err := c.writeState(p); err != nil {
		c.ui().Error(err)
		return false
	}
	if err := p.stat.Save(); err != nil {
		c.ui().Warnf("saving the stat cache: %v", err)
	}
	return true
}

// runSummary prints the usual summary for the whole run, and what each runner did, and
// returns it; false when the run's work could not be read.
func (c *cli) runSummary(be *pg.Backend, run int64, s pg.RunStatus, v view.Apply, jsonOut bool, moved, deleted int) (*engine.Summary, bool) {
	ctx := context.Background()
	work, err := be.Work(ctx, run)
	if err != nil {
		c.ui().Error(err)
		return nil, false
	}
	failures, err := be.Failures(ctx, run)
	if err != nil {
		c.ui().Error(err)
		return nil, false
	}
	sum := &engine.Summary{Skipped: s.Skipped, NotStarted: s.Left(), Moved: moved, Deleted: deleted}
	per := map[string][]string{}
	var runners []string
	for _, w := range work {
		if per[w.Runner] == nil {
			runners = append(runners, w.Runner)
		}
		per[w.Runner] = append(per[w.Runner], fmt.Sprintf("%d %s", w.Done, w.Action))
		switch engine.Action(w.Action) {
		case engine.Create, engine.Regenerate:
			sum.Generated += w.Done
		case engine.Restore:
			sum.Restored += w.Done
		case engine.Delete:
			sum.Deleted += w.Done
		}
		sum.Cost += w.Cost
		sum.CostUnknown += w.CostUnknown
	}
	for _, addr := range sortedKeys(failures) {
		sum.Failed++
		sum.Failures = append(sum.Failures, engine.Failure{Addr: addr, Err: fmt.Errorf("%s", failures[addr])})
	}
	if !jsonOut {
		fmt.Fprintf(c.stdout, "\nRun %d: %d runner(s).\n", run, len(runners))
		for _, r := range runners {
			fmt.Fprintf(c.stdout, "  %s: %s\n", r, strings.Join(per[r], ", "))
		}
	}
	v.Summary(sum)
	return sum, true
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
