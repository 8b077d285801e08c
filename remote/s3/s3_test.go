package s3_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/genform/genform/remote/remotetest"
	"github.com/genform/genform/remote/s3"
)

func open(t *testing.T, srv *remotetest.S3Server, prefix string) *s3.Store {
	t.Helper()
	s, err := s3.Open(s3.Config{Bucket: remotetest.Bucket, Prefix: prefix, Endpoint: srv.URL, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	srv := remotetest.NewS3Server(t)
	remotetest.Conformance(t, open(t, srv, "cache/"))
}

func TestCutPutLeavesNothing(t *testing.T) {
	srv := remotetest.NewS3Server(t)
	s := open(t, srv, "")
	data := bytes.Repeat([]byte("x"), 64<<10)
	// every attempt is cut off: the client gives up and nothing is visible
	srv.Inject("PUT", remotetest.CutPut, remotetest.CutPut, remotetest.CutPut, remotetest.CutPut)
	err := s.Put(context.Background(), "cas/aa/cut", bytes.NewReader(data), int64(len(data)), remotetest.Sum(data))
	if err == nil {
		t.Fatal("a put cut off on every attempt succeeded")
	}
	if _, err := s.Get(context.Background(), "cas/aa/cut"); err == nil {
		t.Fatal("a cut-off put left an object")
	}
}

func TestRetries500(t *testing.T) {
	srv := remotetest.NewS3Server(t)
	s := open(t, srv, "")
	data := []byte("after two failures")
	srv.Inject("PUT", remotetest.Fail500, remotetest.Fail500)
	if err := s.Put(context.Background(), "ac/x", bytes.NewReader(data), int64(len(data)), remotetest.Sum(data)); err != nil {
		t.Fatalf("a put after two 500s: %v", err)
	}
	srv.Inject("GET", remotetest.Fail500)
	r, err := s.Get(context.Background(), "ac/x")
	if err != nil {
		t.Fatalf("a get after a 500: %v", err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("got %q", got)
	}
}

func TestErrorsHoldNoSecret(t *testing.T) {
	srv := remotetest.NewS3Server(t)
	s := open(t, srv, "")
	srv.Inject("PUT", remotetest.Fail500, remotetest.Fail500, remotetest.Fail500, remotetest.Fail500)
	data := []byte("x")
	err := s.Put(context.Background(), "ac/y", bytes.NewReader(data), 1, remotetest.Sum(data))
	if err == nil {
		t.Fatal("four 500s: no error")
	}
	for _, secret := range []string{"not-a-real-secret-for-tests", "AKIAEXAMPLETEST"} {
		if strings.Contains(err.Error(), secret) || strings.Contains(s.String(), secret) {
			t.Fatalf("%q shows a credential", err)
		}
	}
}

func TestBadEndpoint(t *testing.T) {
	for _, ep := range []string{"minio:9000", "ftp://x", "https://user:pw@host", "https://host/path"} {
		if _, err := s3.Open(s3.Config{Bucket: "b", Endpoint: ep}); err == nil {
			t.Errorf("endpoint %q accepted", ep)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("error %q shows the endpoint's password", err)
		}
	}
}
