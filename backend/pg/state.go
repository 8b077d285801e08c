package pg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/genform/genform/backend"
	"github.com/genform/genform/state"
	"github.com/jackc/pgx/v5"
)

// Read implements backend.Backend: the workspace's rows in one snapshot.
func (b *Backend) Read(ctx context.Context) (*state.File, backend.Status, error) {
	var st *state.File
	var status backend.Status
	err := pgx.BeginTxFunc(ctx, b.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		st, status, err = b.read(ctx, tx)
		return err
	})
	if err != nil {
		return nil, status, b.redact(fmt.Errorf("reading the state from %s: %w", b.where, err))
	}
	return st, status, nil
}

// read reads the workspace inside tx; a workspace never written is state.New().
func (b *Backend) read(ctx context.Context, tx pgx.Tx) (*state.File, backend.Status, error) {
	var status backend.Status
	st := state.New()
	var serial, pending int64
	err := tx.QueryRow(ctx, "SELECT lineage, serial, (SELECT count(*) FROM "+b.table("pending")+" WHERE workspace = $1) FROM "+
		b.table("workspaces")+" WHERE name = $1", b.workspace).Scan(&st.Lineage, &serial, &pending)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, status, nil
	}
	if err != nil {
		return nil, status, err
	}
	st.Serial, status.Exists, status.Pending = uint64(serial), true, int(pending)
	rows, err := b.rows(ctx, tx, "records")
	if err != nil {
		return nil, status, err
	}
	for addr, body := range rows {
		r, err := state.UnmarshalRecord(body)
		if err != nil {
			return nil, status, err
		}
		if r.Addr != addr {
			return nil, status, fmt.Errorf("the row of %s holds the record of %s", addr, r.Addr)
		}
		st.Records[addr] = r
	}
	if rows, err = b.rows(ctx, tx, "jobs"); err != nil {
		return nil, status, err
	}
	for addr, body := range rows {
		if st.Jobs[addr], err = state.UnmarshalJob(addr, body); err != nil {
			return nil, status, err
		}
	}
	return st, status, nil
}

// rows returns the workspace's bodies of table (records or jobs) by address.
func (b *Backend) rows(ctx context.Context, tx pgx.Tx, table string) (map[string][]byte, error) {
	rows, err := tx.Query(ctx, "SELECT addr, body FROM "+b.table(table)+" WHERE workspace = $1", b.workspace)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	var addr string
	var body []byte
	_, err = pgx.ForEachRow(rows, []any{&addr, &body}, func() error {
		out[addr] = bytes.Clone(body)
		return nil
	})
	return out, err
}

// write replaces the workspace's rows with st's inside tx (whose lock is checked), bumping the
// serial once when anything changed or was recorded since the last bump.
func (b *Backend) write(ctx context.Context, tx pgx.Tx, st *state.File) error {
	if _, err := tx.Exec(ctx, "INSERT INTO "+b.table("workspaces")+" (name, lineage) VALUES ($1, $2) ON CONFLICT DO NOTHING",
		b.workspace, st.Lineage); err != nil {
		return err
	}
	var lineage string
	var serial, pending int64
	if err := tx.QueryRow(ctx, "SELECT lineage, serial FROM "+b.table("workspaces")+" WHERE name = $1 FOR UPDATE",
		b.workspace).Scan(&lineage, &serial); err != nil {
		return err
	}
	// what was recorded since the last bump: folded into this write's serial
	tag, err := tx.Exec(ctx, "DELETE FROM "+b.table("pending")+" WHERE workspace = $1", b.workspace)
	if err != nil {
		return err
	}
	pending = tag.RowsAffected()
	if lineage != st.Lineage {
		return fmt.Errorf("workspace %s holds lineage %s, not this state's %s", b.workspace, lineage, st.Lineage)
	}
	batch := &pgx.Batch{}
	changed, err := b.diff(ctx, tx, batch, "records", len(st.Records), func(yield func(string, []byte, string, string) error) error {
		for addr, r := range st.Records {
			body, err := state.MarshalRecord(r)
			if err != nil {
				return err
			}
			if err := yield(addr, body, r.InputHash, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	changedJobs, err := b.diff(ctx, tx, batch, "jobs", len(st.Jobs), func(yield func(string, []byte, string, string) error) error {
		for addr, j := range st.Jobs {
			body, err := state.MarshalJob(j)
			if err != nil {
				return err
			}
			if err := yield(addr, body, j.InputHash, j.JobID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if changed || changedJobs || pending > 0 || serial == 0 {
		serial = max(serial, int64(st.Serial)) + 1
		batch.Queue("UPDATE "+b.table("workspaces")+" SET serial = $2 WHERE name = $1", b.workspace, serial)
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return err
	}
	st.Serial = uint64(serial)
	return nil
}

// diff queues into batch the deletes and upserts that make table's rows those each yields,
// and says whether there are any. A row is unchanged when its body reads back the same.
func (b *Backend) diff(ctx context.Context, tx pgx.Tx, batch *pgx.Batch, table string, n int,
	each func(yield func(addr string, body []byte, inputHash, jobID string) error) error) (bool, error) {
	old, err := b.rows(ctx, tx, table)
	if err != nil {
		return false, err
	}
	changed := false
	err = each(func(addr string, body []byte, inputHash, jobID string) error {
		if prev, ok := old[addr]; ok {
			delete(old, addr)
			if same, err := sameBody(table, addr, prev, body); err != nil || same {
				return err
			}
		}
		changed = true
		b.queueUpsert(batch, table, addr, body, inputHash, jobID)
		return nil
	})
	if err != nil {
		return false, err
	}
	for addr := range old {
		changed = true
		batch.Queue("DELETE FROM "+b.table(table)+" WHERE workspace = $1 AND addr = $2", b.workspace, addr)
	}
	return changed, nil
}

// sameBody compares a stored body (jsonb's spelling) with a freshly encoded one.
func sameBody(table, addr string, stored, fresh []byte) (bool, error) {
	var again []byte
	if table == "records" {
		r, err := state.UnmarshalRecord(stored)
		if err != nil {
			return false, nil // unreadable: rewrite it
		}
		again, err = state.MarshalRecord(r)
		if err != nil {
			return false, err
		}
	} else {
		j, err := state.UnmarshalJob(addr, stored)
		if err != nil {
			return false, nil
		}
		again, err = state.MarshalJob(j)
		if err != nil {
			return false, err
		}
	}
	return bytes.Equal(again, fresh), nil
}

func (b *Backend) queueUpsert(batch *pgx.Batch, table, addr string, body []byte, inputHash, jobID string) {
	if table == "records" {
		batch.Queue("INSERT INTO "+b.table("records")+" (workspace, addr, input_hash, body) VALUES ($1, $2, $3, $4::jsonb) "+
			"ON CONFLICT (workspace, addr) DO UPDATE SET input_hash = excluded.input_hash, body = excluded.body, updated_at = now()",
			b.workspace, addr, inputHash, string(body))
		return
	}
	batch.Queue("INSERT INTO "+b.table("jobs")+" (workspace, addr, input_hash, job_id, body) VALUES ($1, $2, $3, $4, $5::jsonb) "+
		"ON CONFLICT (workspace, addr) DO UPDATE SET input_hash = excluded.input_hash, job_id = excluded.job_id, body = excluded.body, updated_at = now()",
		b.workspace, addr, inputHash, jobID, string(body))
}

// recorder appends finished instances as rows, each in a transaction fenced by the lock.
type recorder struct {
	l *lease
}

// Append implements backend.Recorder.
func (r *recorder) Append(e state.Entry) error {
	b := r.l.b
	batch := &pgx.Batch{}
	if err := b.queueEntry(batch, e); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if err := r.l.fence(ctx, tx); err != nil {
			return err
		}
		return tx.SendBatch(ctx, batch).Close()
	})
	if err != nil {
		return b.redact(fmt.Errorf("recording in %s: %w", b.where, err))
	}
	return nil
}

// queueEntry queues the row changes of one journal entry, counted as pending (folded into the
// serial by the next state write).
func (b *Backend) queueEntry(batch *pgx.Batch, e state.Entry) error {
	if e.Forget != "" {
		batch.Queue("DELETE FROM "+b.table("records")+" WHERE workspace = $1 AND addr = $2", b.workspace, e.Forget)
	}
	if e.ForgetJob != "" {
		batch.Queue("DELETE FROM "+b.table("jobs")+" WHERE workspace = $1 AND addr = $2", b.workspace, e.ForgetJob)
	}
	if e.Record != nil {
		body, err := state.MarshalRecord(e.Record)
		if err != nil {
			return err
		}
		b.queueUpsert(batch, "records", e.Record.Addr, body, e.Record.InputHash, "")
	}
	if e.Job != nil {
		body, err := state.MarshalJob(e.Job)
		if err != nil {
			return err
		}
		b.queueUpsert(batch, "jobs", e.Job.Addr, body, e.Job.InputHash, e.Job.JobID)
	}
	batch.Queue("INSERT INTO "+b.table("pending")+" (workspace) VALUES ($1)", b.workspace)
	return nil
}

// Close implements backend.Recorder.
func (r *recorder) Close() error { return nil }

// Write records e at once (a committed row is durable) and returns a number for Sync: the
// two-step form of Append that an engine which syncs in groups uses.
func (r *recorder) Write(e state.Entry) (uint64, error) {
	return 0, r.Append(e)
}

// Sync implements the second step of Write: the row is already durable.
func (r *recorder) Sync(uint64) error { return nil }

// SyncsBlobs implements backend.Recorder: a committed row makes no local file durable.
func (r *recorder) SyncsBlobs(*state.Cache) bool { return false }

// ReadAddrs is Read limited to the records of addrs (and every video job and link: a job
// recorded under another address may be adopted by a renamed block), for a runner that plans
// only those: it reads what its batch needs, not the whole state, in one snapshot.
func (b *Backend) ReadAddrs(ctx context.Context, addrs []string) (*state.File, error) {
	st := state.New()
	err := pgx.BeginTxFunc(ctx, b.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var serial int64
		err := tx.QueryRow(ctx, "SELECT lineage, serial FROM "+b.table("workspaces")+" WHERE name = $1", b.workspace).Scan(&st.Lineage, &serial)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		st.Serial = uint64(serial)
		rows, err := tx.Query(ctx, "SELECT addr, body FROM "+b.table("records")+" WHERE workspace = $1 AND addr = ANY($2)", b.workspace, addrs)
		if err != nil {
			return err
		}
		var addr string
		var body []byte
		if _, err := pgx.ForEachRow(rows, []any{&addr, &body}, func() error {
			r, err := state.UnmarshalRecord(body)
			if err != nil {
				return err
			}
			if r.Addr != addr {
				return fmt.Errorf("the row of %s holds the record of %s", addr, r.Addr)
			}
			st.Records[addr] = r
			return nil
		}); err != nil {
			return err
		}
		jobs, err := b.rows(ctx, tx, "jobs")
		if err != nil {
			return err
		}
		for addr, body := range jobs {
			if st.Jobs[addr], err = state.UnmarshalJob(addr, body); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, b.redact(fmt.Errorf("reading the state from %s: %w", b.where, err))
	}
	return st, nil
}
