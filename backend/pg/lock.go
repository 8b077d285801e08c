package pg

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"sync"
	"time"

	"github.com/genform/genform/backend"
	"github.com/genform/genform/state"
	"github.com/jackc/pgx/v5"
)

// ErrLockLost is wrapped by a write refused because this process no longer holds the lock:
// its lease lapsed without a heartbeat (the process was stopped, the network was down) or it
// was force-unlocked, and another may have taken it since.
var ErrLockLost = errors.New("the lock was lost")

// lease is a held lock: a row in locks whose expiry a heartbeat pushes on. Every write made
// under it checks, in its own transaction, that the row still has this lease's id and
// generation and has not expired (the fence), so a holder that was paused past its lease
// writes nothing.
type lease struct {
	b    *Backend
	id   string
	gen  int64
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Lock implements backend.Backend: it takes the workspace's lock row when it is free or its
// lease has lapsed, bumping the fencing generation, and polls while another holds it.
func (b *Backend) Lock(ctx context.Context, req backend.LockRequest) (backend.Lock, error) {
	who := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	host, _ := os.Hostname()
	return backend.Wait(ctx, req.Timeout, 500*time.Millisecond, func() (backend.Lock, error) {
		l, err := b.tryLock(ctx, req.Command, who, host)
		return l, b.redact(err)
	})
}

func (b *Backend) tryLock(ctx context.Context, command, who, host string) (backend.Lock, error) {
	var raw [8]byte
	_, _ = rand.Read(raw[:])
	l := &lease{b: b, id: hex.EncodeToString(raw[:]), stop: make(chan struct{}), done: make(chan struct{})}
	err := b.pool.QueryRow(ctx, "INSERT INTO "+b.table("locks")+" AS l "+
		"(workspace, id, command, who, host, pid, since, heartbeat, expires, generation) "+
		"VALUES ($1, $2, $3, $4, $5, $6, now(), now(), now() + make_interval(secs => $7), 1) "+
		"ON CONFLICT (workspace) DO UPDATE SET id = excluded.id, command = excluded.command, who = excluded.who, "+
		"host = excluded.host, pid = excluded.pid, since = now(), heartbeat = now(), expires = excluded.expires, "+
		"generation = l.generation + 1 WHERE l.expires <= now() RETURNING generation",
		b.workspace, l.id, command, who, host, os.Getpid(), b.lease.Seconds()).Scan(&l.gen)
	if errors.Is(err, pgx.ErrNoRows) {
		h, err := b.holder(ctx)
		if err != nil {
			return nil, err
		}
		return nil, &backend.LockedError{Holder: h, Where: "workspace " + b.workspace}
	}
	if err != nil {
		return nil, fmt.Errorf("locking workspace %s in %s: %w", b.workspace, b.where, err)
	}
	go l.heartbeat()
	return l, nil
}

// holder reads who holds the workspace's lock.
func (b *Backend) holder(ctx context.Context) (backend.Holder, error) {
	var h backend.Holder
	err := b.pool.QueryRow(ctx, "SELECT id, command, who, host, pid, since, heartbeat, expires, generation FROM "+
		b.table("locks")+" WHERE workspace = $1", b.workspace).Scan(
		&h.ID, &h.Command, &h.Who, &h.Host, &h.PID, &h.Since, &h.Heartbeat, &h.Expires, &h.Generation)
	return h, err
}

// heartbeat pushes the lease's expiry on every third of the lease until Unlock, or until the
// row is no longer this lease's (then every fenced write fails).
func (l *lease) heartbeat() {
	defer close(l.done)
	t := time.NewTicker(l.b.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.b.lease/3)
		tag, err := l.b.pool.Exec(ctx, "UPDATE "+l.b.table("locks")+" SET heartbeat = now(), expires = now() + make_interval(secs => $4) "+
			"WHERE workspace = $1 AND id = $2 AND generation = $3 AND expires > now()",
			l.b.workspace, l.id, l.gen, l.b.lease.Seconds())
		cancel()
		if err == nil && tag.RowsAffected() == 0 {
			return // lost: the fence refuses every write from now on
		}
	}
}

// fence fails unless this lease still holds the lock; the row stays share-locked until tx
// ends, so nobody takes the lock over between the check and the commit.
func (l *lease) fence(ctx context.Context, tx pgx.Tx) error {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM "+l.b.table("locks")+
		" WHERE workspace = $1 AND id = $2 AND generation = $3 AND expires > now() FOR SHARE",
		l.b.workspace, l.id, l.gen).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w (lock ID %s): its lease lapsed without a heartbeat or it was force-unlocked, so this command records nothing more", ErrLockLost, l.id)
	}
	return err
}

func (l *lease) ID() string { return l.id }

func (l *lease) Recorder(ctx context.Context, st *state.File) (backend.Recorder, error) {
	_, err := l.b.pool.Exec(ctx, "INSERT INTO "+l.b.table("workspaces")+" (name, lineage) VALUES ($1, $2) ON CONFLICT DO NOTHING",
		l.b.workspace, st.Lineage)
	if err != nil {
		return nil, l.b.redact(err)
	}
	return &recorder{l: l}, nil
}

func (l *lease) Write(ctx context.Context, st *state.File) error {
	err := pgx.BeginFunc(ctx, l.b.pool, func(tx pgx.Tx) error {
		if err := l.fence(ctx, tx); err != nil {
			return err
		}
		return l.b.write(ctx, tx, st)
	})
	if err != nil {
		return l.b.redact(fmt.Errorf("writing the state to %s: %w", l.b.where, err))
	}
	return nil
}

// Unlock stops the heartbeat and lets the lease lapse now. The row stays, with its holder and
// generation, for the next holder to take over.
func (l *lease) Unlock() error {
	l.once.Do(func() { close(l.stop) })
	<-l.done
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := l.b.pool.Exec(ctx, "UPDATE "+l.b.table("locks")+" SET expires = now() WHERE workspace = $1 AND id = $2 AND generation = $3",
		l.b.workspace, l.id, l.gen)
	return l.b.redact(err)
}

// ForceUnlock implements backend.Backend.
func (b *Backend) ForceUnlock(ctx context.Context, id string) error {
	tag, err := b.pool.Exec(ctx, "UPDATE "+b.table("locks")+" SET expires = now() WHERE workspace = $1 AND id = $2 AND expires > now()",
		b.workspace, id)
	if err != nil {
		return b.redact(fmt.Errorf("unlocking workspace %s: %w", b.workspace, err))
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	h, err := b.holder(ctx)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("workspace %s has never been locked; there is no lock %s", b.workspace, id)
	case err != nil:
		return b.redact(err)
	case h.ID == id || !h.Expires.After(time.Now()):
		return fmt.Errorf("workspace %s is not locked (lock %s was released or has lapsed); nothing to do", b.workspace, id)
	}
	return fmt.Errorf("lock %s does not hold workspace %s; it is held by genform %s (pid %d on %s) with lock ID %s",
		id, b.workspace, h.Command, h.PID, h.Host, h.ID)
}

// Import implements backend.Importer: the workspace becomes st, rows, lineage and serial.
func (l *lease) Import(ctx context.Context, st *state.File) error {
	b := l.b
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if err := l.fence(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO "+b.table("workspaces")+" (name, lineage) VALUES ($1, $2) "+
			"ON CONFLICT (name) DO UPDATE SET lineage = excluded.lineage", b.workspace, st.Lineage); err != nil {
			return err
		}
		serial := st.Serial
		if err := b.write(ctx, tx, st); err != nil {
			return err
		}
		st.Serial = serial
		if _, err := tx.Exec(ctx, "DELETE FROM "+b.table("pending")+" WHERE workspace = $1", b.workspace); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "UPDATE "+b.table("workspaces")+" SET serial = $2 WHERE name = $1", b.workspace, int64(serial))
		return err
	})
	return b.redact(err)
}
