package main

// A runner's claim and the requests it sends: no request starts on a lease shorter than its
// timeout, however short GENFORM_PG_LEASE is.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/genform/genform/backend/pg/pgtest"
	"github.com/genform/genform/providers/wisdomgate/gatetest"
	"github.com/jackc/pgx/v5"
)

// withTimeout sets the provider block's timeout in a pgRunnerHead.
func withTimeout(head, timeout string) string {
	return strings.Replace(head, "  poll_interval", fmt.Sprintf("  timeout       = %q\n  poll_interval", timeout), 1)
}

func TestPGRunnerLeaseCoversTimeout(t *testing.T) {
	conn := pgtest.DB(t)
	t.Setenv("GENFORM_PG", conn)
	t.Setenv("GENFORM_PG_LEASE", "1s")
	gw := gatetest.New(gatetest.Options{Key: "test-key", Latency: 3 * time.Second})
	defer gw.Close()
	dir := crashProject(t, withTimeout(fmt.Sprintf(pgRunnerHead, 1, gw.URL), "20s")+`
chat "slow" {
  model  = "deepseek-v3"
  prompt = "slow"
}
`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	apply, _ := startRun(ctx, t, dir)
	for gw.InFlight() == 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	db, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	var left float64
	if err := db.QueryRow(ctx, "SELECT extract(epoch FROM lease_expires - now())::float8 FROM genform.tasks WHERE addr = 'chat.slow' AND status = 'claimed'").Scan(&left); err != nil {
		t.Fatalf("the claim of chat.slow while its request is in flight: %v", err)
	}
	if gw.InFlight() == 0 {
		t.Fatal("the request ended before the lease was read: the test shows nothing")
	}
	if left < 20 {
		t.Errorf("the request was sent on a claim with %.1fs of lease left, shorter than its 20s timeout", left)
	}
	apply.wait(t, 0)
	if out := strings.Join(apply.out, "\n"); !strings.Contains(out, "Apply complete! 1 generated") {
		t.Errorf("apply:\n%s", out)
	}
}
