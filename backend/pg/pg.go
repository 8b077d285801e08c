// Package pg is the PostgreSQL backend: the state as one row per instance record and per video
// job, a serial and lineage per workspace, the lock as a lease row with a heartbeat and a
// fencing generation, and versioned schema migrations. It is safe behind connection poolers:
// no session state (no advisory locks, no named prepared statements), every change one
// transaction.
//
// Credentials come from the connection string or libpq's PG* variables and never reach an
// error or a message: errors pass through redact.
package pg

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config is the backend block's settings.
type Config struct {
	ConnStr   string // "" means libpq's PG* variables
	Schema    string // "genform" when empty
	Workspace string // "default" when empty
}

// LeaseEnv names the variable that sets how long a lock outlives its holder's last heartbeat
// (a Go duration; 30s by default).
const LeaseEnv = "GENFORM_PG_LEASE"

const defaultLease = 30 * time.Second

// Backend is a workspace in a PostgreSQL database. It implements backend.Backend.
type Backend struct {
	pool      *pgxpool.Pool
	schema    string
	workspace string
	lease     time.Duration
	secrets   []string // what redact hides: the connection string and its password
	where     string   // for messages: host, database, schema, workspace
}

// Open connects, creates the schema and its tables on first use and brings them up to this
// genform's version.
func Open(ctx context.Context, c Config) (*Backend, error) {
	if c.Schema == "" {
		c.Schema = "genform"
	}
	if c.Workspace == "" {
		c.Workspace = "default"
	}
	b := &Backend{schema: c.Schema, workspace: c.Workspace, lease: defaultLease}
	if c.ConnStr != "" {
		b.secrets = append(b.secrets, c.ConnStr)
	}
	if v := os.Getenv(LeaseEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return nil, fmt.Errorf("%s=%q: give a duration of a second or more, such as 30s", LeaseEnv, v)
		}
		b.lease = d
	}
	cfg, err := pgxpool.ParseConfig(c.ConnStr)
	if err != nil {
		// pgx quotes the string with what it takes for the password masked, which misses
		// part of a password holding an unescaped @: the string is never shown
		msg := err.Error()
		if i, j := strings.Index(msg, "`"), strings.LastIndex(msg, "`"); i >= 0 && j > i {
			msg = msg[:i] + "it" + msg[j+1:]
		}
		return nil, b.redact(fmt.Errorf("reading the connection string: %s; percent-encode special characters of the password, such as %%40 for @", msg))
	}
	if pw := cfg.ConnConfig.Password; pw != "" {
		b.secrets = append(b.secrets, pw)
	}
	// unnamed statements only: a pooler in transaction mode may hand each statement to
	// another server session
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	cfg.MaxConns = 8
	b.where = fmt.Sprintf("PostgreSQL %s/%s, schema %s, workspace %s", cfg.ConnConfig.Host, cfg.ConnConfig.Database, c.Schema, c.Workspace)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	b.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, b.redact(err)
	}
	if err := b.migrate(ctx); err != nil {
		b.pool.Close()
		return nil, b.redact(err)
	}
	return b, nil
}

// Describe implements backend.Backend.
func (b *Backend) Describe() string { return b.where }

// Close implements backend.Backend.
func (b *Backend) Close() error {
	b.pool.Close()
	return nil
}

// table is the quoted, schema-qualified name of one of the backend's tables.
func (b *Backend) table(name string) string {
	return pgx.Identifier{b.schema, name}.Sanitize()
}

// redactedError hides secrets in an error's text; errors.Is and errors.As still see the
// original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact returns err with every credential replaced, nil for nil.
func (b *Backend) redact(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	hidden := false
	for _, s := range b.secrets {
		if s != "" && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
			hidden = true
		}
	}
	if !hidden {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// Lease is how long a lock or a claim outlives its holder's last heartbeat.
func (b *Backend) Lease() time.Duration { return b.lease }
