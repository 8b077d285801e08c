package main

// This file holds genform runner: joining a run of the pg backend from another machine (or
// another process), and the Ctrl-C handling runs share with apply.

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/genform/genform/backend/pg"
	"github.com/genform/genform/engine"
	"github.com/genform/genform/view"
)

func cmdRunner(c *cli, args []string) int {
	fs := newFlags(c, "runner", "[-run N] [-parallelism N]")
	runID := fs.Int64("run", 0, "join run `N` (default: the newest run of the workspace that still hands out work)")
	parallelism := fs.Int("parallelism", 0, "at most `N` instances at work at once (default: the genform block's, else 8)")
	if code := parseFlags(c, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fs, "runner takes no arguments")
	}
	p, ok := c.loadConfig(nil)
	if !ok {
		return 1
	}
	defer p.closeBackend()
	be, ok := c.pgBackend(p, "runner")
	if !ok || !c.openCaches(p) {
		return 1
	}
	ctx := context.Background()
	run := *runID
	if run == 0 {
		var err error
		if run, err = be.LatestRun(ctx); err != nil {
			c.ui().Error(err)
			return 1
		}
		if run == 0 {
			c.ui().Errorf("%s has no run to join. A genform apply on this backend starts one.", be.Describe())
			return 1
		}
	}
	s, err := be.Status(ctx, run)
	if err != nil {
		c.ui().Error(err)
		return 1
	}
	if h := engine.ConfigHash(p.cfg); h != s.ConfigHash {
		c.ui().Errorf("this checkout's configuration is not run %d's (its files or variable values differ)."+
			"Check out the commit the apply that started the run used, with the same variables, and join again.\n", run)
		return 1
	}
	if *parallelism <= 0 {
		*parallelism = p.cfg.Settings.Parallelism
	}
	tmp, err := os.MkdirTemp(p.work(""), "runner-")
	if err != nil {
		c.ui().Error(err)
		return 1
	}
	defer os.RemoveAll(tmp)
	interrupt, stop := c.runInterrupts("finishing the instances this runner holds, then giving the rest back to the run", nil)
	defer stop()
	w := &runWorker{c: c, p: p, be: be, run: run, runner: runnerID(), parallelism: *parallelism, lease: be.Lease(),
		tmp: tmp, interrupt: interrupt}
	fmt.Fprintf(c.stdout, "Joining run %d as %s: %d instance(s) left.\n", run, w.runner, s.Left())
	progress := view.NewApply(c.ui(), false)
	w.hook = progress.Progress(s.Left())
	err = w.loop(ctx)
	progress.Done()
	if err != nil {
		c.ui().Errorf("%v\nWhat finished is recorded; the instances this runner held pass to another runner when their lease lapses.", err)
		return 1
	}
	if err := p.stat.Save(); err != nil {
		c.ui().Warnf("saving the stat cache: %v", err)
	}
	c.ui().RunnerDone(w.runner, run, &w.sum)
	return 0
}

// refreshShared makes the shared cache list its store again: other processes of the run
// upload to it all along.
func (p *project) refreshShared() {
	if p.shared != nil {
		p.shared.Refresh()
	}
}

// pgBackend opens the project's backend and returns it if it is a pg backend.
func (c *cli) pgBackend(p *project, command string) (*pg.Backend, bool) {
	if !c.openBackend(p) {
		return nil, false
	}
	be, ok := p.backend.(*pg.Backend)
	if !ok {
		c.ui().Errorf("genform %s works on runs of the pg backend, and this project's genform block names no backend \"pg\".", command)
	}
	return be, ok
}

// runInterrupts closes interrupt on the first Ctrl-C (after calling first, if any) and exits
// at once on the second.
func (c *cli) runInterrupts(what string, first func()) (<-chan struct{}, func()) {
	interrupt := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sigs; !ok {
			return
		}
		fmt.Fprintf(c.stderr, "\nInterrupt received: %s. Press Ctrl-C again to stop at once.\n", what)
		if first != nil {
			first()
		}
		close(interrupt)
		if _, ok := <-sigs; ok {
			fmt.Fprintln(c.stderr, "Stopped. What finished is recorded; what this process held passes to another runner when its lease lapses.")
			os.Exit(130)
		}
	}()
	return interrupt, func() {
		signal.Stop(sigs)
		close(sigs)
	}
}

// waitRun waits until no task of the run is left to work on, or an interrupt.
func waitRun(ctx context.Context, be *pg.Backend, run int64, interrupt <-chan struct{}, waiting func(left int)) (pg.RunStatus, error) {
	told := false
	for {
		s, err := be.Status(ctx, run)
		if err != nil || s.Left() == 0 {
			return s, err
		}
		if !told {
			waiting(s.Left())
			told = true
		}
		select {
		case <-interrupt:
			return s, nil
		case <-time.After(250 * time.Millisecond):
		}
	}
}
