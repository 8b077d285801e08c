// Package remotetest serves what tests of the shared output cache need: an S3-protocol server
// on a loopback port with faults to inject and requests counted, and a conformance suite every
// remote.Store passes. Tests only: nothing of the binary imports it.
package remotetest

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Bucket is the bucket the server is made with.
const Bucket = "genform-test"

// Fault is what the server does to one request instead of serving it whole.
type Fault int

// The faults.
const (
	Fail500     Fault = iota + 1 // answer 500 Internal Error without serving
	CutPut                       // read half a PUT body, then drop the connection
	TruncateGet                  // send a GET's headers and half its body, then drop the connection
	CorruptGet                   // serve a GET with one byte changed
)

// S3Server is an S3-protocol server (gofakes3, in memory) on a loopback TCP port.
type S3Server struct {
	URL string

	srv    *httptest.Server
	fake   http.Handler
	mu     sync.Mutex
	faults map[string][]Fault // by method: applied to the next requests, in order
	counts sync.Map           // method -> *atomic.Int64
}

// Credentials are the AWS variables a client of the server needs (any value does for it).
var Credentials = map[string]string{
	"AWS_ACCESS_KEY_ID":     "AKIAEXAMPLETEST",
	"AWS_SECRET_ACCESS_KEY": "not-a-real-secret-for-tests",
	"AWS_SESSION_TOKEN":     "",
	"AWS_PROFILE":           "",
}

// NewS3Server starts a server with an empty bucket; it stops when the test ends. It also sets
// Credentials in the test's environment.
func NewS3Server(t testing.TB) *S3Server {
	t.Helper()
	s, err := StartS3Server()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	for k, v := range Credentials {
		t.Setenv(k, v)
	}
	return s
}

// StartS3Server starts a server with an empty bucket on a loopback port; Close stops it.
func StartS3Server() (*S3Server, error) {
	backend := s3mem.New()
	if err := backend.CreateBucket(Bucket); err != nil {
		return nil, err
	}
	s := &S3Server{
		fake:   gofakes3.New(backend, gofakes3.WithIntegrityCheck(true), gofakes3.WithLogger(gofakes3.DiscardLog())).Server(),
		faults: map[string][]Fault{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve)) // 127.0.0.1, a real port
	s.URL = s.srv.URL
	return s, nil
}

// Close stops the server.
func (s *S3Server) Close() { s.srv.Close() }

// FaultNamed is the fault a script names: 500, cut-put, truncate-get, corrupt-get.
func FaultNamed(name string) (Fault, bool) {
	f, ok := map[string]Fault{"500": Fail500, "cut-put": CutPut, "truncate-get": TruncateGet, "corrupt-get": CorruptGet}[name]
	return f, ok
}

// Inject makes the next requests of method (GET, PUT, ...) meet these faults, one each.
func (s *S3Server) Inject(method string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], faults...)
}

// Requests returns how many requests of method the server received (faulty ones included).
func (s *S3Server) Requests(method string) int64 {
	if v, ok := s.counts.Load(method); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

func (s *S3Server) next(method string) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[method]
	if len(q) == 0 {
		return 0
	}
	s.faults[method] = q[1:]
	return q[0]
}

func (s *S3Server) serve(w http.ResponseWriter, r *http.Request) {
	v, _ := s.counts.LoadOrStore(r.Method, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	f := s.next(r.Method)
	switch f {
	case Fail500:
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected fault</Message></Error>`)
	case CutPut:
		io.CopyN(io.Discard, r.Body, r.ContentLength/2)
		drop(w)
	case TruncateGet, CorruptGet:
		rec := httptest.NewRecorder()
		s.fake.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		if rec.Code != http.StatusOK || len(body) == 0 {
			w.Write(body)
			return
		}
		if f == TruncateGet {
			w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			drop(w)
			return
		}
		bad := bytes.Clone(body)
		bad[len(bad)/2] ^= 0xff
		w.Write(bad)
	default:
		s.fake.ServeHTTP(w, r)
	}
}

// drop closes the connection under a request without a proper reply.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("remotetest: the server cannot drop connections")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		conn.Close()
	}
}
