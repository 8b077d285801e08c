package pg

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/genform/genform/backend/pg/pgtest"
)

// A provider's concurrency counts the run's live slots, whoever holds them: a freed slot or
// one whose claim lapsed makes room; requests_per_minute is a bucket shared the same way; a
// lost claim is admitted nothing.
func TestAdmit(t *testing.T) {
	b := open(t, pgtest.DB(t), Config{})
	ctx := context.Background()
	run := createRun(t, b, []Task{{Addr: "image.a"}, {Addr: "image.b"}, {Addr: "image.c"}, {Addr: "image.d"}})
	c1, err := b.Claim(ctx, run, "r1", 2, time.Minute)
	if err != nil || len(c1) != 2 {
		t.Fatalf("claim: %v %v", c1, err)
	}
	c2, err := b.Claim(ctx, run, "r2", 2, time.Minute)
	if err != nil || len(c2) != 2 {
		t.Fatalf("claim: %v %v", c2, err)
	}
	one := Limits{Concurrency: 1}
	s, wait, err := b.Admit(ctx, c1[0], "wisdomgate", one, time.Minute)
	if err != nil || s == 0 || wait != 0 {
		t.Fatalf("first request: slot %d, wait %v, %v", s, wait, err)
	}
	if s2, wait, err := b.Admit(ctx, c2[0], "wisdomgate", one, time.Minute); err != nil || s2 != 0 || wait <= 0 {
		t.Fatalf("a second request of another runner while the slot is held: slot %d, wait %v, %v", s2, wait, err)
	}
	if s2, wait, err := b.Admit(ctx, c2[0], "wisdomgate.fast", one, time.Minute); err != nil || s2 == 0 || wait != 0 {
		t.Fatalf("another provider's limits are its own: slot %d, wait %v, %v", s2, wait, err)
	}
	if err := b.Free(ctx, s); err != nil {
		t.Fatal(err)
	}
	// admitted with a 1s lease, then never renewed: the slot dies with the claim
	if s, wait, err = b.Admit(ctx, c2[1], "wisdomgate", one, time.Second); err != nil || s == 0 || wait != 0 {
		t.Fatalf("after the slot was freed: slot %d, wait %v, %v", s, wait, err)
	}
	time.Sleep(1100 * time.Millisecond)
	if s, wait, err = b.Admit(ctx, c1[1], "wisdomgate", one, time.Minute); err != nil || s == 0 || wait != 0 {
		t.Fatalf("after the holder's claim lapsed: slot %d, wait %v, %v", s, wait, err)
	}
	if _, _, err := b.Admit(ctx, c2[1], "wisdomgate", one, time.Minute); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("a lapsed claim asks for a slot: %v", err)
	}

	rpm := Limits{RequestsPerMinute: 60} // one a second, a bucket of one
	if _, wait, err := b.Admit(ctx, c1[0], "offline", rpm, time.Minute); err != nil || wait != 0 {
		t.Fatalf("first request under requests_per_minute: wait %v, %v", wait, err)
	}
	_, wait, err = b.Admit(ctx, c2[0], "offline", rpm, time.Minute)
	if err != nil || wait <= 0 || wait > time.Second {
		t.Fatalf("a second request within the same second, from another runner: wait %v, %v", wait, err)
	}
	time.Sleep(wait)
	if _, wait, err := b.Admit(ctx, c2[0], "offline", rpm, time.Minute); err != nil || wait != 0 {
		t.Fatalf("after the wait it was told: wait %v, %v", wait, err)
	}
}
