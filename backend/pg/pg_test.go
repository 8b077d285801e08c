package pg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/genform/genform/backend"
	"github.com/genform/genform/backend/pg/pgtest"
	"github.com/genform/genform/state"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

func open(t testing.TB, conn string, c Config) *Backend {
	t.Helper()
	c.ConnStr = conn
	b, err := Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func hash(c byte) string { return strings.Repeat(string(c), 64) }

func record(addr string, c byte) *state.Record {
	cost := 0.04
	return &state.Record{
		Addr: addr, Kind: "image", Provider: "wisdomgate", Model: "gpt-image-1", InputHash: hash(c),
		Request: map[string]any{"prompt": "a <cat> & \"dog\"", "n": 1.5, "tags": []any{"x", true}},
		Output:  &state.Output{Path: "out/" + string(c) + ".png", SHA256: hash('f'), Size: 12, MediaType: "image/png", Width: 2, Height: 3},
		Cost:    &cost, JobID: "resp_1", GeneratedAt: time.Date(2025, 3, 4, 10, 4, 5, 0, time.UTC),
	}
}

func lock(t *testing.T, b *Backend, command string) backend.Lock {
	t.Helper()
	l, err := b.Lock(context.Background(), backend.LockRequest{Command: command})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Migrations run once: a second Open changes nothing; a schema a newer genform migrated is
// refused; two schemas in one database are independent.
func TestMigrations(t *testing.T) {
	conn := pgtest.DB(t)
	ctx := context.Background()
	b := open(t, conn, Config{})
	open(t, conn, Config{})
	var n, v int
	if err := b.pool.QueryRow(ctx, "SELECT count(*), max(version) FROM genform.migrations").Scan(&n, &v); err != nil || n != len(migrations) || v != len(migrations) {
		t.Fatalf("migrations table: %d rows, version %d, %v", n, v, err)
	}
	if _, err := b.pool.Exec(ctx, "INSERT INTO genform.migrations (version) VALUES ($1)", len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, Config{ConnStr: conn})
	if err == nil || !strings.Contains(err.Error(), "written by a newer genform") {
		t.Fatalf("Open on a newer schema: %v", err)
	}
	other := open(t, conn, Config{Schema: "Other Schema"})
	if _, status, err := other.Read(ctx); err != nil || status.Exists {
		t.Fatalf("Read from a fresh schema: %+v, %v", status, err)
	}
}

// Two genforms opening a fresh database at once both succeed and migrate it once.
func TestMigrationsConcurrent(t *testing.T) {
	conn := pgtest.DB(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := Open(context.Background(), Config{ConnStr: conn})
			if err == nil {
				b.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// A state written through the lock reads back equal, and marshals to the bytes the file
// holds; an unchanged write keeps the serial, a changed one bumps it once.
func TestStateRoundTrip(t *testing.T) {
	b := open(t, pgtest.DB(t), Config{Workspace: "staging"})
	ctx := context.Background()
	st, status, err := b.Read(ctx)
	if err != nil || status.Exists {
		t.Fatalf("fresh Read: %+v, %v", status, err)
	}
	for i, c := range []byte("abc") {
		r := record(fmt.Sprintf(`image.tile["k%d"]`, i), c)
		st.Records[r.Addr] = r
	}
	st.Jobs["video.v"] = &state.Job{Addr: "video.v", InputHash: hash('d'), Provider: "wisdomgate", JobID: "task_9",
		StartedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := lock(t, b, "apply")
	defer l.Unlock()
	if err := l.Write(ctx, st); err != nil || st.Serial != 1 {
		t.Fatalf("Write: serial %d, %v", st.Serial, err)
	}
	got, status, err := b.Read(ctx)
	if err != nil || !status.Exists || status.Pending != 0 {
		t.Fatalf("Read: %+v, %v", status, err)
	}
	if !reflect.DeepEqual(got, st) {
		t.Fatalf("read back differs:\n%#v\n%#v", got, st)
	}
	want, _ := state.Marshal(st)
	if data, err := state.Marshal(got); err != nil || string(data) != string(want) {
		t.Fatalf("Marshal differs: %v", err)
	}
	if err := l.Write(ctx, got); err != nil || got.Serial != 1 {
		t.Fatalf("unchanged Write: serial %d, %v", got.Serial, err)
	}
	delete(got.Records, `image.tile["k0"]`)
	got.Records[`image.tile["k1"]`].Text = "changed"
	delete(got.Jobs, "video.v")
	if err := l.Write(ctx, got); err != nil || got.Serial != 2 {
		t.Fatalf("changed Write: serial %d, %v", got.Serial, err)
	}
	again, _, err := b.Read(ctx)
	if err != nil || !reflect.DeepEqual(again, got) {
		t.Fatalf("after a change: %v\n%#v\n%#v", err, again, got)
	}
}

// Recorded instances (many at once) are rows at once, counted as pending; the write at the end
// bumps the serial once.
func TestRecorder(t *testing.T) {
	b := open(t, pgtest.DB(t), Config{})
	ctx := context.Background()
	st, _, err := b.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l := lock(t, b, "apply")
	defer l.Unlock()
	rec, err := l.Recorder(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := record(fmt.Sprintf("image.tile[%d]", i), "0123456789abcdef"[i%16])
			if err := rec.Append(state.Entry{Record: r, ForgetJob: r.Addr}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := rec.Append(state.Entry{Job: &state.Job{Addr: "video.v", InputHash: hash('e'), Provider: "p", JobID: "task_1"}}); err != nil {
		t.Fatal(err)
	}
	if err := rec.Append(state.Entry{Forget: "image.tile[0]"}); err != nil {
		t.Fatal(err)
	}
	rec.Close()
	got, status, err := b.Read(ctx)
	if err != nil || !status.Exists || status.Pending != 42 || len(got.Records) != 39 || got.Jobs["video.v"].JobID != "task_1" || got.Serial != 0 {
		t.Fatalf("Read after recording: %+v, %d records, serial %d, %v", status, len(got.Records), got.Serial, err)
	}
	if err := l.Write(ctx, got); err != nil || got.Serial != 1 {
		t.Fatalf("Write: serial %d, %v", got.Serial, err)
	}
	if _, status, _ := b.Read(ctx); status.Pending != 0 {
		t.Fatalf("pending after the write: %d", status.Pending)
	}
}

// The lock: a second taker fails at once naming the holder and its lock ID, or waits for it;
// a holder that stops heartbeating loses the lock when its lease lapses, and the fence refuses
// its writes after another took the lock.
func TestLockLease(t *testing.T) {
	conn := pgtest.DB(t)
	ctx := context.Background()
	a := open(t, conn, Config{})
	b := open(t, conn, Config{})
	a.lease, b.lease = time.Second, time.Second
	st, _, _ := a.Read(ctx)
	la := lock(t, a, "apply")
	_, err := b.Lock(ctx, backend.LockRequest{Command: "apply"})
	var le *backend.LockedError
	if !errors.As(err, &le) || le.Holder.ID != la.ID() || le.Holder.Command != "apply" || le.Holder.PID != os.Getpid() ||
		!strings.Contains(err.Error(), "lock ID "+la.ID()) || !strings.Contains(err.Error(), "genform force-unlock "+la.ID()) {
		t.Fatalf("second Lock: %v", err)
	}
	_, err = b.Lock(ctx, backend.LockRequest{Command: "apply", Timeout: 1200 * time.Millisecond})
	if !errors.As(err, &le) || le.Waited == 0 {
		t.Fatalf("a live holder's heartbeat keeps its lock past the lease: %v", err)
	}
	if err := la.Write(ctx, st); err != nil {
		t.Fatalf("the holder writes: %v", err)
	}

	// the holder freezes: no heartbeat, no unlock
	frozen := la.(*lease)
	close(frozen.stop)
	<-frozen.done
	lb, err := b.Lock(ctx, backend.LockRequest{Command: "state rm", Timeout: time.Minute})
	if err != nil {
		t.Fatalf("the lapsed lease was not taken over: %v", err)
	}
	defer lb.Unlock()
	if g := lb.(*lease).gen; g != frozen.gen+1 {
		t.Errorf("generation %d after %d", g, frozen.gen)
	}
	rec, err := la.Recorder(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	err = rec.Append(state.Entry{Record: record("image.late", 'a')})
	if !errors.Is(err, ErrLockLost) {
		t.Fatalf("a write after losing the lock: %v", err)
	}
	if err := la.Write(ctx, st); !errors.Is(err, ErrLockLost) {
		t.Fatalf("a state write after losing the lock: %v", err)
	}
	if got, _, _ := b.Read(ctx); got.Records["image.late"] != nil {
		t.Fatal("the fenced-out write was recorded")
	}
}

// force-unlock releases a lock by its ID; the old holder's writes are then refused; a wrong or
// stale ID is an error that says so.
func TestForceUnlock(t *testing.T) {
	b := open(t, pgtest.DB(t), Config{})
	ctx := context.Background()
	if err := b.ForceUnlock(ctx, "nope"); err == nil || !strings.Contains(err.Error(), "never been locked") {
		t.Fatalf("ForceUnlock on a fresh workspace: %v", err)
	}
	st, _, _ := b.Read(ctx)
	l := lock(t, b, "apply")
	if err := b.ForceUnlock(ctx, "nope"); err == nil || !strings.Contains(err.Error(), "held by genform apply") {
		t.Fatalf("ForceUnlock with a wrong ID: %v", err)
	}
	if err := b.ForceUnlock(ctx, l.ID()); err != nil {
		t.Fatal(err)
	}
	if err := l.Write(ctx, st); !errors.Is(err, ErrLockLost) {
		t.Fatalf("a write after force-unlock: %v", err)
	}
	l.Unlock()
	if err := b.ForceUnlock(ctx, l.ID()); err == nil || !strings.Contains(err.Error(), "is not locked") {
		t.Fatalf("ForceUnlock twice: %v", err)
	}
	l2 := lock(t, b, "apply")
	l2.Unlock()
}

// A password never appears in an error, whether the server is unreachable or the connection
// string is malformed.
func TestRedact(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	for _, conn := range []string{
		"postgres://alice:s3cret-pw@" + addr + "/db?sslmode=disable&connect_timeout=2",
		"host=127.0.0.1 port=notaport password=s3cret-pw",
		"postgres://alice:s3cret-pw@[::1/db",
		// an unescaped @ in the password: pgx masks only up to the first @
		"postgres://alice:s3 cret@s3cret-pw@[::1/db",
	} {
		_, err := Open(context.Background(), Config{ConnStr: conn})
		if err == nil {
			t.Fatalf("Open(%q) succeeded", conn)
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("the password is in the error: %v", err)
		}
	}
	t.Setenv("PGPASSWORD", "env-s3cret")
	t.Setenv("PGHOST", "127.0.0.1")
	t.Setenv("PGPORT", strings.Split(addr, ":")[1])
	t.Setenv("PGCONNECT_TIMEOUT", "2")
	if _, err := Open(context.Background(), Config{}); err == nil || strings.Contains(err.Error(), "env-s3cret") {
		t.Errorf("Open from PG* variables: %v", err)
	}
}

// ReadAddrs reads the records named and no other, every job, and the lineage and serial as
// Read does; a workspace never written reads as state.New().
func TestReadAddrs(t *testing.T) {
	b := open(t, pgtest.DB(t), Config{})
	ctx := context.Background()
	if st, err := b.ReadAddrs(ctx, []string{"image.a"}); err != nil || st.Serial != 0 || len(st.Records)+len(st.Jobs) != 0 {
		t.Fatalf("fresh workspace: %#v, %v", st, err)
	}
	st := state.New()
	for _, c := range []byte("abc") {
		r := record("image."+string(c), c)
		st.Records[r.Addr] = r
	}
	st.Jobs["video.v"] = &state.Job{Addr: "video.v", InputHash: hash('d'), Provider: "wisdomgate", JobID: "task_9",
		StartedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := lock(t, b, "apply")
	defer l.Unlock()
	if err := l.Write(ctx, st); err != nil {
		t.Fatal(err)
	}
	got, err := b.ReadAddrs(ctx, []string{"image.a", "image.c", "image.nothing"})
	if err != nil {
		t.Fatal(err)
	}
	want := state.New()
	want.Lineage, want.Serial, want.Jobs = st.Lineage, st.Serial, st.Jobs
	want.Records["image.a"], want.Records["image.c"] = st.Records["image.a"], st.Records["image.c"]
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ReadAddrs:\n%#v\nwant\n%#v", got, want)
	}
}

// BenchmarkReadBatch compares what a runner's batch of 8 reads in a state of 1,000 records:
// the whole state (Read) or the batch's records (ReadAddrs).
//
//	go test -run '^$' -bench ReadBatch ./backend/pg/
func BenchmarkReadBatch(b *testing.B) {
	be := open(b, pgtest.DB(b), Config{})
	ctx := context.Background()
	st := state.New()
	for i := range 1000 {
		r := record(fmt.Sprintf("image.tile[%d]", i), 'a')
		st.Records[r.Addr] = r
	}
	l, err := be.Lock(ctx, backend.LockRequest{Command: "apply"})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Unlock()
	if err := l.Write(ctx, st); err != nil {
		b.Fatal(err)
	}
	addrs := make([]string, 8)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("image.tile[%d]", i*100)
	}
	b.Run("whole", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := be.Read(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("batch", func(b *testing.B) {
		for b.Loop() {
			if _, err := be.ReadAddrs(ctx, addrs); err != nil {
				b.Fatal(err)
			}
		}
	})
}
