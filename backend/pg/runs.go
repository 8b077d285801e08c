package pg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/genform/genform/state"
	"github.com/jackc/pgx/v5"
)

// A run is one apply's plan shared by runners: each instance to work on is a task with its
// height (the longest chain of dependents below it, so the critical path goes first) and a
// count of upstream tasks not yet done. Runners claim ready tasks in batches, tallest first,
// with FOR UPDATE SKIP LOCKED, each claim a lease (runner, generation, expiry) that the runner
// renews; a task whose lease lapsed is claimable again and its generation moves on, so the
// runner that lost it commits nothing (every commit is fenced by runner and generation).
// Finishing a task records its state entries, ends the task and releases its dependents in one
// transaction.

// ErrLeaseLost is wrapped by a commit refused because the claim's lease lapsed and the task
// may be another runner's now.
var ErrLeaseLost = errors.New("the claim's lease was lost")

// ErrRunStopped is returned by Claim when the run no longer hands out work.
var ErrRunStopped = errors.New("the run is stopped")

// Task is an instance of a run and the instances in the run it waits for.
type Task struct {
	Addr   string
	Action string
	Deps   []string // upstream addresses; those not in the run are ignored
}

// Claim is a task a runner holds.
type Claim struct {
	Run    int64
	Addr   string
	Runner string
	Gen    int64 // the lease generation: commits must name it
	Claims int   // how many times the task was claimed (more than 1: taken over)
}

// RunStatus counts a run's tasks by status.
type RunStatus struct {
	Status                                         string // open | stopped | done
	ConfigHash                                     string
	Waiting, Ready, Claimed, Done, Failed, Skipped int
}

// Left is how many tasks may still be worked on.
func (s RunStatus) Left() int { return s.Waiting + s.Ready + s.Claimed }

// heights computes each task's height: 0 for a task nothing in the run waits for, else one
// more than its tallest dependent. Deps outside the run are dropped.
func heights(tasks []Task) (map[string]int, map[string][]string) {
	in := make(map[string]bool, len(tasks))
	for _, t := range tasks {
		in[t.Addr] = true
	}
	down := map[string][]string{}
	for _, t := range tasks {
		seen := map[string]bool{}
		for _, d := range t.Deps {
			if in[d] && d != t.Addr && !seen[d] {
				seen[d] = true
				down[d] = append(down[d], t.Addr)
			}
		}
	}
	h := make(map[string]int, len(tasks))
	var visit func(a string) int
	visit = func(a string) int {
		if v, ok := h[a]; ok {
			return v
		}
		h[a] = 0 // a cycle cannot happen (the plan is a DAG); this keeps a bad input finite
		best := 0
		for _, d := range down[a] {
			best = max(best, visit(d)+1)
		}
		h[a] = best
		return best
	}
	for _, t := range tasks {
		visit(t.Addr)
	}
	return h, down
}

// CreateRun records a run of tasks for the configuration configHash, on the state of
// lineage, and returns its id.
func (b *Backend) CreateRun(ctx context.Context, configHash, lineage string, tasks []Task) (int64, error) {
	h, down := heights(tasks)
	waiting := map[string]int{}
	for _, ds := range down {
		for _, d := range ds {
			waiting[d]++
		}
	}
	host, _ := os.Hostname()
	var id int64
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO "+b.table("workspaces")+" (name, lineage) VALUES ($1, $2) ON CONFLICT DO NOTHING",
			b.workspace, lineage); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, "INSERT INTO "+b.table("runs")+" (workspace, config_hash, started_by) VALUES ($1, $2, $3) RETURNING id",
			b.workspace, configHash, fmt.Sprintf("apply (pid %d on %s)", os.Getpid(), host)).Scan(&id); err != nil {
			return err
		}
		rows := make([][]any, 0, len(tasks))
		for _, t := range tasks {
			status := "ready"
			if waiting[t.Addr] > 0 {
				status = "waiting"
			}
			rows = append(rows, []any{id, t.Addr, t.Action, h[t.Addr], waiting[t.Addr], status})
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{b.schema, "tasks"}, []string{"run_id", "addr", "action", "height", "waiting", "status"},
			pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		var edges [][]any
		for up, ds := range down {
			for _, d := range ds {
				edges = append(edges, []any{id, up, d})
			}
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{b.schema, "edges"}, []string{"run_id", "upstream", "downstream"}, pgx.CopyFromRows(edges))
		return err
	})
	if err != nil {
		return 0, b.redact(fmt.Errorf("recording the run: %w", err))
	}
	return id, nil
}

// LatestRun returns the newest run of the workspace that still hands out work, 0 if none.
func (b *Backend) LatestRun(ctx context.Context) (int64, error) {
	var id int64
	err := b.pool.QueryRow(ctx, "SELECT id FROM "+b.table("runs")+" WHERE workspace = $1 AND status = 'open' ORDER BY id DESC LIMIT 1",
		b.workspace).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return id, b.redact(err)
}

// Claim claims up to n ready tasks of run for runner, tallest first, under a lease; a task
// whose previous lease lapsed counts as ready. Tasks another runner is claiming at the same
// moment are skipped, not waited for.
func (b *Backend) Claim(ctx context.Context, run int64, runner string, n int, lease time.Duration) ([]Claim, error) {
	var claims []Claim
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		var status string
		if err := tx.QueryRow(ctx, "SELECT status FROM "+b.table("runs")+" WHERE id = $1 AND workspace = $2", run, b.workspace).Scan(&status); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("workspace %s has no run %d", b.workspace, run)
			}
			return err
		}
		if status != "open" {
			return ErrRunStopped
		}
		rows, err := tx.Query(ctx, "UPDATE "+b.table("tasks")+" t SET status = 'claimed', runner = $2, lease_gen = t.lease_gen + 1, "+
			"lease_expires = now() + make_interval(secs => $4), claims = t.claims + 1 "+
			"FROM (SELECT addr FROM "+b.table("tasks")+" WHERE run_id = $1 AND "+
			"(status = 'ready' OR (status = 'claimed' AND lease_expires <= now())) "+
			"ORDER BY height DESC, addr LIMIT $3 FOR UPDATE SKIP LOCKED) c "+
			"WHERE t.run_id = $1 AND t.addr = c.addr RETURNING t.addr, t.lease_gen, t.claims",
			run, runner, n, lease.Seconds())
		if err != nil {
			return err
		}
		var c Claim
		_, err = pgx.ForEachRow(rows, []any{&c.Addr, &c.Gen, &c.Claims}, func() error {
			claims = append(claims, Claim{Run: run, Addr: c.Addr, Runner: runner, Gen: c.Gen, Claims: c.Claims})
			return nil
		})
		return err
	})
	if errors.Is(err, ErrRunStopped) {
		return nil, err
	}
	return claims, b.redact(err)
}

// Renew pushes the leases of claims on and returns those that were lost.
func (b *Backend) Renew(ctx context.Context, claims []Claim, lease time.Duration) ([]Claim, error) {
	var lost []Claim
	for _, c := range claims {
		tag, err := b.pool.Exec(ctx, "UPDATE "+b.table("tasks")+" SET lease_expires = now() + make_interval(secs => $5) "+
			"WHERE run_id = $1 AND addr = $2 AND runner = $3 AND lease_gen = $4 AND status = 'claimed' AND lease_expires > now()",
			c.Run, c.Addr, c.Runner, c.Gen, lease.Seconds())
		if err != nil {
			return lost, b.redact(err)
		}
		if tag.RowsAffected() == 0 {
			lost = append(lost, c)
		}
	}
	return lost, nil
}

// fenceClaim fails with ErrLeaseLost unless c still holds its task; the row stays locked
// until tx ends.
func (b *Backend) fenceClaim(ctx context.Context, tx pgx.Tx, c Claim) error {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM "+b.table("tasks")+" WHERE run_id = $1 AND addr = $2 AND runner = $3 AND lease_gen = $4 "+
		"AND status = 'claimed' AND lease_expires > now() FOR UPDATE", c.Run, c.Addr, c.Runner, c.Gen).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %s (run %d) is no longer held by this runner; nothing of it is recorded", ErrLeaseLost, c.Addr, c.Run)
	}
	return err
}

// Record records state entries of a claimed task without ending it (a video job's id before
// its first poll), fenced by the claim.
func (b *Backend) Record(ctx context.Context, c Claim, entries ...state.Entry) error {
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if err := b.fenceClaim(ctx, tx, c); err != nil {
			return err
		}
		return b.queueEntries(ctx, tx, entries)
	})
	return b.redact(err)
}

// queueEntries writes entries as rows inside tx and counts them as pending.
func (b *Backend) queueEntries(ctx context.Context, tx pgx.Tx, entries []state.Entry) error {
	batch := &pgx.Batch{}
	for _, e := range entries {
		if err := b.queueEntry(batch, e); err != nil {
			return err
		}
	}
	if batch.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, batch).Close()
}

// Finish ends a claimed task, fenced by the claim, in one transaction: its state entries, its
// status (done, or failed with errText), and its dependents: released when done (ready once
// nothing else holds them back), skipped, all the way down, when failed.
func (b *Backend) Finish(ctx context.Context, c Claim, failed bool, errText string, entries ...state.Entry) error {
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if err := b.fenceClaim(ctx, tx, c); err != nil {
			return err
		}
		if err := b.queueEntries(ctx, tx, entries); err != nil {
			return err
		}
		status := "done"
		if failed {
			status = "failed"
		}
		if _, err := tx.Exec(ctx, "UPDATE "+b.table("tasks")+" SET status = $3, error = $4, lease_expires = NULL "+
			"WHERE run_id = $1 AND addr = $2", c.Run, c.Addr, status, errText); err != nil {
			return err
		}
		if failed {
			_, err := tx.Exec(ctx, "WITH RECURSIVE down(addr) AS ("+
				"SELECT downstream FROM "+b.table("edges")+" WHERE run_id = $1 AND upstream = $2 "+
				"UNION SELECT e.downstream FROM "+b.table("edges")+" e JOIN down d ON e.upstream = d.addr WHERE e.run_id = $1) "+
				"UPDATE "+b.table("tasks")+" SET status = 'skipped' WHERE run_id = $1 AND addr IN (SELECT addr FROM down) AND status = 'waiting'",
				c.Run, c.Addr)
			return err
		}
		_, err := tx.Exec(ctx, "UPDATE "+b.table("tasks")+" t SET waiting = t.waiting - 1, "+
			"status = CASE WHEN t.waiting = 1 AND t.status = 'waiting' THEN 'ready' ELSE t.status END "+
			"FROM "+b.table("edges")+" e WHERE e.run_id = $1 AND e.upstream = $2 AND t.run_id = $1 AND t.addr = e.downstream",
			c.Run, c.Addr)
		return err
	})
	return b.redact(err)
}

// Release gives claims back unstarted (a runner stopping): their tasks are ready again.
func (b *Backend) Release(ctx context.Context, claims []Claim) error {
	for _, c := range claims {
		if _, err := b.pool.Exec(ctx, "UPDATE "+b.table("tasks")+" SET status = 'ready', runner = '', lease_expires = NULL "+
			"WHERE run_id = $1 AND addr = $2 AND runner = $3 AND lease_gen = $4 AND status = 'claimed'",
			c.Run, c.Addr, c.Runner, c.Gen); err != nil {
			return b.redact(err)
		}
	}
	return nil
}

// StopRun stops handing out the run's tasks; claimed ones may still finish.
func (b *Backend) StopRun(ctx context.Context, run int64, status string) error {
	_, err := b.pool.Exec(ctx, "UPDATE "+b.table("runs")+" SET status = $2 WHERE id = $1", run, status)
	return b.redact(err)
}

// Status counts the run's tasks.
func (b *Backend) Status(ctx context.Context, run int64) (RunStatus, error) {
	var s RunStatus
	err := pgx.BeginTxFunc(ctx, b.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT status, config_hash FROM "+b.table("runs")+" WHERE id = $1 AND workspace = $2",
			run, b.workspace).Scan(&s.Status, &s.ConfigHash); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("workspace %s has no run %d", b.workspace, run)
			}
			return err
		}
		rows, err := tx.Query(ctx, "SELECT status, count(*) FROM "+b.table("tasks")+" WHERE run_id = $1 GROUP BY status", run)
		if err != nil {
			return err
		}
		var st string
		var n int
		_, err = pgx.ForEachRow(rows, []any{&st, &n}, func() error {
			switch st {
			case "waiting":
				s.Waiting = n
			case "ready":
				s.Ready = n
			case "claimed":
				s.Claimed = n
			case "done":
				s.Done = n
			case "failed":
				s.Failed = n
			case "skipped":
				s.Skipped = n
			}
			return nil
		})
		return err
	})
	return s, b.redact(err)
}

// RunnerWork is what one runner did in a run: tasks done by action, their recorded cost.
type RunnerWork struct {
	Runner      string
	Action      string
	Done        int
	Cost        float64 // of the done tasks whose record has a cost
	CostUnknown int     // done paid tasks whose record has no cost
}

// Work reports what each runner did in the run, by action.
func (b *Backend) Work(ctx context.Context, run int64) ([]RunnerWork, error) {
	rows, err := b.pool.Query(ctx, "SELECT t.runner, t.action, count(*), coalesce(sum((r.body->>'cost')::float8), 0), "+
		"count(*) FILTER (WHERE r.body->>'cost' IS NULL AND t.action IN ('create', 'regenerate')) "+
		"FROM "+b.table("tasks")+" t LEFT JOIN "+b.table("records")+" r ON r.workspace = $2 AND r.addr = t.addr "+
		"WHERE t.run_id = $1 AND t.status = 'done' GROUP BY t.runner, t.action ORDER BY t.runner, t.action", run, b.workspace)
	if err != nil {
		return nil, b.redact(err)
	}
	var out []RunnerWork
	var w RunnerWork
	_, err = pgx.ForEachRow(rows, []any{&w.Runner, &w.Action, &w.Done, &w.Cost, &w.CostUnknown}, func() error {
		out = append(out, w)
		return nil
	})
	return out, b.redact(err)
}

// Failures lists the run's failed tasks and their errors.
func (b *Backend) Failures(ctx context.Context, run int64) (map[string]string, error) {
	rows, err := b.pool.Query(ctx, "SELECT addr, error FROM "+b.table("tasks")+" WHERE run_id = $1 AND status = 'failed' ORDER BY addr", run)
	if err != nil {
		return nil, b.redact(err)
	}
	out := map[string]string{}
	var addr, msg string
	_, err = pgx.ForEachRow(rows, []any{&addr, &msg}, func() error {
		out[addr] = msg
		return nil
	})
	return out, b.redact(err)
}
