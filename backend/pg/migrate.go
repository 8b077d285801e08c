package pg

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// migrations are the schema's versions, in order; migration i+1 is migrations[i]. "%s." stands
// for the schema. A released migration is never edited: a change is a new one.
var migrations = []string{
	// 1: the state, video jobs and the lock
	`CREATE TABLE %s.workspaces (
		name       text PRIMARY KEY,
		lineage    text NOT NULL,
		serial     bigint NOT NULL DEFAULT 0,
		created_at timestamptz NOT NULL DEFAULT now()
	);
	-- one row per instance recorded since the serial was bumped: inserts, so that runners
	-- committing at once never wait for each other on the workspace's row
	CREATE TABLE %s.pending (
		workspace text NOT NULL REFERENCES %s.workspaces (name) ON DELETE CASCADE,
		id        bigserial,
		PRIMARY KEY (workspace, id)
	);
	CREATE TABLE %s.records (
		workspace  text NOT NULL REFERENCES %s.workspaces (name) ON DELETE CASCADE,
		addr       text NOT NULL,
		input_hash text NOT NULL,
		body       jsonb NOT NULL,
		updated_at timestamptz NOT NULL DEFAULT now(),
		PRIMARY KEY (workspace, addr)
	);
	CREATE TABLE %s.jobs (
		workspace  text NOT NULL REFERENCES %s.workspaces (name) ON DELETE CASCADE,
		addr       text NOT NULL,
		input_hash text NOT NULL,
		job_id     text NOT NULL,
		body       jsonb NOT NULL,
		updated_at timestamptz NOT NULL DEFAULT now(),
		PRIMARY KEY (workspace, addr)
	);
	CREATE TABLE %s.locks (
		workspace  text PRIMARY KEY,
		id         text NOT NULL,
		command    text NOT NULL,
		who        text NOT NULL,
		host       text NOT NULL,
		pid        integer NOT NULL,
		since      timestamptz NOT NULL,
		heartbeat  timestamptz NOT NULL,
		expires    timestamptz NOT NULL,
		generation bigint NOT NULL
	);`,
	// 2: runs shared by runners: the plan's instances as tasks, their edges, claims under leases
	`CREATE TABLE %s.runs (
		id          bigserial PRIMARY KEY,
		workspace   text NOT NULL,
		config_hash text NOT NULL,
		status      text NOT NULL DEFAULT 'open', -- open | stopped | done
		started_by  text NOT NULL,
		created_at  timestamptz NOT NULL DEFAULT now()
	);
	CREATE TABLE %s.tasks (
		run_id        bigint NOT NULL REFERENCES %s.runs (id) ON DELETE CASCADE,
		addr          text NOT NULL,
		action        text NOT NULL,    -- the plan's: create, regenerate, restore, delete, no-op
		height        integer NOT NULL, -- the longest path of dependents below it
		waiting       integer NOT NULL, -- upstream tasks not done yet
		status        text NOT NULL,    -- waiting | ready | claimed | done | failed | skipped
		runner        text NOT NULL DEFAULT '',
		lease_gen     bigint NOT NULL DEFAULT 0,
		lease_expires timestamptz,
		claims        integer NOT NULL DEFAULT 0,
		error         text NOT NULL DEFAULT '',
		PRIMARY KEY (run_id, addr)
	);
	CREATE INDEX tasks_claimable ON %s.tasks (run_id, status, height DESC);
	CREATE TABLE %s.edges (
		run_id     bigint NOT NULL REFERENCES %s.runs (id) ON DELETE CASCADE,
		upstream   text NOT NULL,
		downstream text NOT NULL,
		PRIMARY KEY (run_id, upstream, downstream)
	);`,
	// 3: provider limits shared by a run's runners: a token bucket per provider for
	// requests_per_minute, and the slots held for concurrency, each alive while its claim is
	`CREATE TABLE %s.limits (
		run_id   bigint NOT NULL REFERENCES %s.runs (id) ON DELETE CASCADE,
		provider text NOT NULL,
		tokens   float8 NOT NULL,
		refilled timestamptz NOT NULL DEFAULT clock_timestamp(),
		PRIMARY KEY (run_id, provider)
	);
	CREATE TABLE %s.slots (
		id        bigserial PRIMARY KEY,
		run_id    bigint NOT NULL,
		provider  text NOT NULL,
		addr      text NOT NULL,
		runner    text NOT NULL,
		lease_gen bigint NOT NULL,
		FOREIGN KEY (run_id, provider) REFERENCES %s.limits (run_id, provider) ON DELETE CASCADE
	);
	CREATE INDEX slots_provider ON %s.slots (run_id, provider);`,
}

// migrate creates the schema and its migrations table when missing and runs the migrations
// the database has not seen, in one transaction that holds the migrations table exclusively
// (two genforms starting at once run them once). A database migrated by a newer genform is
// refused.
func (b *Backend) migrate(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		err := b.migrateOnce(ctx)
		// two first uses at once may both create the schema: the loser retries and finds it
		var pe *pgconn.PgError
		if err != nil && attempt < 3 && errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P06" || pe.Code == "42P07") {
			continue
		}
		return err
	}
}

func (b *Backend) migrateOnce(ctx context.Context) error {
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		schema := pgx.Identifier{b.schema}.Sanitize()
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
			return fmt.Errorf("creating schema %s: %w", b.schema, err)
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+b.table("migrations")+
			" (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"); err != nil {
			return fmt.Errorf("creating the migrations table: %w", err)
		}
		if _, err := tx.Exec(ctx, "LOCK TABLE "+b.table("migrations")+" IN EXCLUSIVE MODE"); err != nil {
			return err
		}
		var have int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+b.table("migrations")).Scan(&have); err != nil {
			return err
		}
		if have > len(migrations) {
			return fmt.Errorf("schema %s is at version %d, written by a newer genform (this one knows %d): upgrade genform",
				b.schema, have, len(migrations))
		}
		for v := have + 1; v <= len(migrations); v++ {
			sql := strings.ReplaceAll(migrations[v-1], "%s.", schema+".")
			if _, err := tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("migrating schema %s to version %d: %w", b.schema, v, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO "+b.table("migrations")+" (version) VALUES ($1)", v); err != nil {
				return err
			}
		}
		return nil
	})
}
