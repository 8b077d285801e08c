package state

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// lockHelperEnv makes the test binary a lock holder: it takes the lock named by the variable,
// says "locked", and holds it until its stdin closes.
const lockHelperEnv = "GENFORM_STATE_TEST_HOLD_LOCK"

func TestMain(m *testing.M) {
	if path := os.Getenv(lockHelperEnv); path != "" {
		l, err := Lock(path, "apply")
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin)
		if err := l.Unlock(); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestLockedErrorMessage(t *testing.T) {
	since := time.Date(2025, 3, 4, 10, 4, 5, 0, time.Local)
	e := &LockedError{Path: ".genform/lock", PID: 1234, Command: "apply", Since: since}
	if got, want := e.Error(), "the project is locked by genform apply (pid 1234, since 10:04:05)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &LockedError{Path: ".genform/lock"}
	if got := e.Error(); !strings.Contains(got, "locked by another genform process") {
		t.Errorf("Error() without details = %q", got)
	}
}

func TestLockSameProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".genform", "lock")
	before := time.Now()
	l, err := Lock(path, "apply")
	if err != nil {
		t.Fatal(err)
	}

	// Lock again: a new open file description, which flock(2) treats as another holder.
	_, err = Lock(path, "state rm")
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second Lock: %v, want *LockedError", err)
	}
	if le.PID != os.Getpid() || le.Command != "apply" || le.Since.Before(before.Truncate(time.Second)) || le.Since.After(time.Now()) {
		t.Errorf("holder %+v", le)
	}
	want := fmt.Sprintf("the project is locked by genform apply (pid %d, since %s)", os.Getpid(), le.Since.Local().Format("15:04:05"))
	if err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}

	// A plain flock on the same file fails too: the lock is a real OS lock.
	other := flock.New(path)
	if ok, err := other.TryLock(); ok || err != nil {
		t.Errorf("flock.TryLock while held = %v, %v", ok, err)
	}

	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Errorf("second Unlock: %v", err)
	}
	if ok, err := other.TryLock(); !ok || err != nil {
		t.Fatalf("flock.TryLock after Unlock = %v, %v", ok, err)
	}
	other.Unlock()
	l2, err := Lock(path, "genform state rm")
	if err != nil {
		t.Fatalf("Lock after Unlock: %v", err)
	}
	defer l2.Unlock()
	if _, err := Lock(path, "apply"); err == nil || !strings.Contains(err.Error(), "locked by genform state rm (pid") {
		t.Errorf("holder's command: %v", err)
	}
}

func TestLockOtherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".genform", "lock")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}

	_, err = Lock(path, "apply")
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Lock while another process holds it: %v", err)
	}
	want := fmt.Sprintf("the project is locked by genform apply (pid %d, since %s)", cmd.Process.Pid, le.Since.Local().Format("15:04:05"))
	if err.Error() != want || time.Since(le.Since) > time.Minute {
		t.Errorf("message %q, want %q", err, want)
	}

	stdin.Close() // the helper unlocks and exits
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	l, err := Lock(path, "apply")
	if err != nil {
		t.Fatalf("Lock after the holder left: %v", err)
	}
	l.Unlock()
}

// A holder killed without unlocking leaves no lock behind: the OS drops it with the process.
func TestLockReleasedWhenHolderDies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+path)
	stdin, _ := cmd.StdinPipe()
	defer stdin.Close()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "locked\n" {
		t.Fatalf("helper said %q", line)
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, err := Lock(path, "apply")
	if err != nil {
		t.Fatalf("Lock after the holder was killed: %v", err)
	}
	l.Unlock()
}
