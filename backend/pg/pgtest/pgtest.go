// Package pgtest starts a throwaway PostgreSQL server for tests, from the binaries installed
// on the machine: initdb into a temporary folder, the server on a free loopback port with its
// unix socket in that folder, one database per test. Where no binaries are found the tests
// that need the server skip, unless GENFORM_TEST_PG_REQUIRED=1 or CI=true make that a failure.
//
// One server serves a whole test binary: the first DB call starts it, Stop (called by the
// package's TestMain after the tests) stops it and removes its folder. The server is also a
// child of the test process that the kernel signals when that process dies, so a test binary
// that panics or is killed leaves no server behind.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// RequiredEnv names the variable that turns a skip for missing binaries into a failure.
const RequiredEnv = "GENFORM_TEST_PG_REQUIRED"

var (
	mu     sync.Mutex
	srv    *server
	srvErr error // why the server could not start; sticky
	dbs    int
)

type server struct {
	dir   string // the temporary folder: data/, the socket, the log
	port  int
	cmd   *exec.Cmd
	exit  chan struct{} // closed when the server process has exited
	admin *pgx.Conn
}

// TB is what DB needs of a test: *testing.T, or a testscript's T.
type TB interface {
	Skip(args ...any)
	Fatal(args ...any)
}

var _ TB = testing.TB(nil)

// DB creates a fresh database on the shared server and returns a connection string for it
// (a postgres:// URL on 127.0.0.1, no password). It skips the test when PostgreSQL is not
// installed, or fails it when RequiredEnv=1 or CI=true.
func DB(t TB) string {
	mu.Lock()
	defer mu.Unlock()
	if srv == nil && srvErr == nil {
		srv, srvErr = start()
	}
	if srvErr != nil {
		if errors.Is(srvErr, errNoBinaries) && !required() {
			t.Skip(fmt.Sprintf("PostgreSQL: %v (set %s=1 to make this a failure)", srvErr, RequiredEnv))
		}
		t.Fatal(fmt.Sprintf("PostgreSQL: %v", srvErr))
	}
	dbs++
	name := fmt.Sprintf("test%d", dbs)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := srv.admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(fmt.Sprintf("PostgreSQL: creating database %s: %v", name, err))
	}
	return srv.url(name)
}

// URL returns a connection string for database name on the running server, "" if none runs.
func (s *server) url(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, name)
}

// Stop stops the server, if one was started, and removes its folder.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if srv != nil {
		srv.stop()
		srv = nil
	}
}

func required() bool {
	return os.Getenv(RequiredEnv) == "1" || os.Getenv("CI") == "true"
}

var errNoBinaries = errors.New("no initdb and postgres binaries found (on $PATH or in /usr/lib/postgresql/*/bin)")

// binDir finds the folder holding initdb and postgres: $PATH first, then the newest of
// Debian's /usr/lib/postgresql/*/bin.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errNoBinaries
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// owner is who runs the server: the current user, or the postgres user when running as root
// (PostgreSQL refuses to run as root).
func owner() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and there is no postgres user to run the server as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func start() (*server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	cred, err := owner()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "genform-pgtest-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, exit: make(chan struct{})}
	if err := s.launch(bin, cred); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// launch runs initdb, starts the server and connects to it.
func (s *server) launch(bin string, cred *syscall.Credential) error {
	if cred != nil {
		// the folder is made by root with mode 0700: the server's user must own it
		if err := os.Chown(s.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	data := filepath.Join(s.dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.Env = append(os.Environ(), "LC_ALL=C")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	var log bytes.Buffer
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(s.port),
		"-h", "127.0.0.1", "-k", s.dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "shared_buffers=32MB")
	s.cmd.Env = append(os.Environ(), "LC_ALL=C")
	s.cmd.Stdout, s.cmd.Stderr = &log, &log
	// SIGQUIT: the server stops at once when the test process dies without calling Stop
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("starting postgres: %w", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exit) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.admin, err = pgx.Connect(ctx, s.url("postgres"))
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.exit:
			return fmt.Errorf("postgres exited: %s", log.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within a minute: %v", err)
		}
	}
}

// stop shuts the server down (fast shutdown: open sessions are ended) and removes its folder.
func (s *server) stop() {
	if s.admin != nil {
		s.admin.Close(context.Background())
	}
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exit:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exit
		}
	}
	os.RemoveAll(s.dir)
}
