package pg

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
)

// A provider's limits hold for a run as a whole: its runners share one row per provider,
// locked for the short transaction that admits a request. The row holds a token bucket for
// requests_per_minute (refilled by the time passed since it was last taken from); the slots
// of concurrency are rows of their own, each alive while the claim that took it is: a runner
// that dies loses its slots when its claim's lease lapses.

// Limits are a provider's limits from its block; zero fields limit nothing.
type Limits struct {
	Concurrency       int
	RequestsPerMinute float64
}

// Slot is an admitted request's hold on its provider's concurrency (0: none was needed).
type Slot int64

// Admit renews c's lease for lease and, if the run's limits of provider allow one more request
// now, takes a token and a slot for it. Otherwise it takes nothing and says how long to wait
// before asking again. A claim that is lost fails with ErrLeaseLost.
func (b *Backend) Admit(ctx context.Context, c Claim, provider string, l Limits, lease time.Duration) (Slot, time.Duration, error) {
	var slot Slot
	var wait time.Duration
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if err := b.fenceClaim(ctx, tx, c); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE "+b.table("tasks")+" SET lease_expires = now() + make_interval(secs => $3) WHERE run_id = $1 AND addr = $2",
			c.Run, c.Addr, lease.Seconds()); err != nil {
			return err
		}
		if l.Concurrency <= 0 && l.RequestsPerMinute <= 0 {
			return nil
		}
		burst := math.Max(1, math.Min(l.RequestsPerMinute/60, 10))
		if _, err := tx.Exec(ctx, "INSERT INTO "+b.table("limits")+" (run_id, provider, tokens) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
			c.Run, provider, burst); err != nil {
			return err
		}
		var tokens, elapsed float64
		if err := tx.QueryRow(ctx, "SELECT tokens, extract(epoch FROM clock_timestamp() - refilled)::float8 FROM "+b.table("limits")+
			" WHERE run_id = $1 AND provider = $2 FOR UPDATE", c.Run, provider).Scan(&tokens, &elapsed); err != nil {
			return err
		}
		if l.Concurrency > 0 {
			var live int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+b.table("slots")+" s JOIN "+b.table("tasks")+" t "+
				"ON t.run_id = s.run_id AND t.addr = s.addr AND t.runner = s.runner AND t.lease_gen = s.lease_gen "+
				"AND t.status = 'claimed' AND t.lease_expires > now() WHERE s.run_id = $1 AND s.provider = $2", c.Run, provider).Scan(&live); err != nil {
				return err
			}
			if live >= l.Concurrency {
				wait = slotPoll
				return nil
			}
		}
		if l.RequestsPerMinute > 0 {
			perSecond := l.RequestsPerMinute / 60
			tokens = math.Min(burst, tokens+elapsed*perSecond)
			if tokens < 1 {
				wait = time.Duration((1 - tokens) / perSecond * float64(time.Second))
				return nil
			}
			if _, err := tx.Exec(ctx, "UPDATE "+b.table("limits")+" SET tokens = $3, refilled = clock_timestamp() WHERE run_id = $1 AND provider = $2",
				c.Run, provider, tokens-1); err != nil {
				return err
			}
		}
		if l.Concurrency > 0 {
			// slots of claims that lapsed or ended are dead: dropped as they are found
			if _, err := tx.Exec(ctx, "DELETE FROM "+b.table("slots")+" s WHERE s.run_id = $1 AND s.provider = $2 AND NOT EXISTS ("+
				"SELECT 1 FROM "+b.table("tasks")+" t WHERE t.run_id = s.run_id AND t.addr = s.addr AND t.runner = s.runner "+
				"AND t.lease_gen = s.lease_gen AND t.status = 'claimed' AND t.lease_expires > now())", c.Run, provider); err != nil {
				return err
			}
			return tx.QueryRow(ctx, "INSERT INTO "+b.table("slots")+" (run_id, provider, addr, runner, lease_gen) VALUES ($1, $2, $3, $4, $5) RETURNING id",
				c.Run, provider, c.Addr, c.Runner, c.Gen).Scan(&slot)
		}
		return nil
	})
	if errors.Is(err, ErrLeaseLost) {
		return 0, 0, err
	}
	if err != nil {
		return 0, 0, b.redact(fmt.Errorf("admitting a request of %s: %w", provider, err))
	}
	return slot, wait, nil
}

// slotPoll is how long a request waits before asking again for a slot the run's other
// requests of its provider hold.
const slotPoll = 50 * time.Millisecond

// Free gives an admitted request's slot back.
func (b *Backend) Free(ctx context.Context, s Slot) error {
	if s == 0 {
		return nil
	}
	_, err := b.pool.Exec(ctx, "DELETE FROM "+b.table("slots")+" WHERE id = $1", int64(s))
	return b.redact(err)
}
