package backend

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/genform/genform/state"
)

// -lock-timeout on the file backend: 0 fails at once naming the holder; a wait ends when the
// holder lets go; a wait that runs out says how long it waited.
func TestFileLockTimeout(t *testing.T) {
	dir := t.TempDir()
	f := &File{StatePath: filepath.Join(dir, "genform.state.json"), WorkDir: filepath.Join(dir, ".genform")}
	ctx := context.Background()
	held, err := f.Lock(ctx, LockRequest{Command: "state rm"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Lock(ctx, LockRequest{Command: "apply"})
	var le *LockedError
	if !errors.As(err, &le) || le.Holder.Command != "state rm" || le.Waited != 0 ||
		!strings.HasPrefix(err.Error(), "the project is locked by genform state rm (pid ") {
		t.Fatalf("second lock: %v", err)
	}
	_, err = f.Lock(ctx, LockRequest{Command: "apply", Timeout: 150 * time.Millisecond})
	if !errors.As(err, &le) || !strings.HasSuffix(err.Error(), "; waited 150ms") {
		t.Fatalf("lock with a timeout: %v", err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		held.Unlock()
	}()
	l, err := f.Lock(ctx, LockRequest{Command: "apply", Timeout: time.Minute})
	if err != nil {
		t.Fatalf("waiting for a released lock: %v", err)
	}
	l.Unlock()
}

// The file backend reads the journal a killed apply left, and a write through the lock folds
// it into the state file and removes it.
func TestFileReadWrite(t *testing.T) {
	dir := t.TempDir()
	f := &File{StatePath: filepath.Join(dir, "genform.state.json"), WorkDir: filepath.Join(dir, ".genform")}
	ctx := context.Background()
	st, status, err := f.Read(ctx)
	if err != nil || status.Exists || status.Pending != 0 || len(st.Records) != 0 {
		t.Fatalf("fresh Read = %v, %+v, %v", st, status, err)
	}
	l, err := f.Lock(ctx, LockRequest{Command: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	rec, err := l.Recorder(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	r := &state.Record{Addr: "chat.a", Kind: "chat", Provider: "offline", InputHash: strings.Repeat("a", 64), Text: "hi"}
	if err := rec.Append(state.Entry{Record: r}); err != nil {
		t.Fatal(err)
	}
	rec.Close()
	st, status, err = f.Read(ctx)
	if err != nil || status.Exists || status.Pending != 1 || st.Records["chat.a"] == nil {
		t.Fatalf("Read after a killed apply = %+v, %v", status, err)
	}
	if err := l.Write(ctx, st); err != nil || st.Serial != 1 {
		t.Fatalf("Write: serial %d, %v", st.Serial, err)
	}
	st, status, err = f.Read(ctx)
	if err != nil || !status.Exists || status.Pending != 0 || st.Records["chat.a"].Text != "hi" {
		t.Fatalf("Read after Write = %+v, %v", status, err)
	}
}
