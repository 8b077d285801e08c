package main

import (
	"strconv"
	"sync"

	"github.com/genform/genform/remote/remotetest"
	"github.com/rogpeppe/go-internal/testscript"
)

// The S3-protocol servers the scripts run, by script.
var scriptS3 sync.Map // *testscript.TestScript -> *remotetest.S3Server

// cmdS3 runs an S3-protocol server (gofakes3) on a loopback port for a script:
//
//	s3 start                       start it with the bucket genform-test; $S3_URL is its
//	                               endpoint, and the AWS variables hold test credentials
//	s3 fault METHOD FAULT...       the next requests of METHOD meet these faults, one each:
//	                               500, cut-put, truncate-get, corrupt-get
//	s3 requests METHOD N           exactly N requests of METHOD (GET, PUT, ...) so far
func cmdS3(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: s3 start | fault METHOD FAULT... | requests METHOD N")
	}
	if args[0] == "start" {
		s, err := remotetest.StartS3Server()
		if err != nil {
			ts.Fatalf("s3 start: %v", err)
		}
		scriptS3.Store(ts, s)
		ts.Defer(func() {
			scriptS3.Delete(ts)
			s.Close()
		})
		ts.Setenv("S3_URL", s.URL)
		for k, v := range remotetest.Credentials {
			ts.Setenv(k, v)
		}
		return
	}
	v, ok := scriptS3.Load(ts)
	if !ok {
		ts.Fatalf("s3 %s: run 's3 start' first", args[0])
	}
	s := v.(*remotetest.S3Server)
	switch {
	case args[0] == "fault" && len(args) >= 3:
		for _, name := range args[2:] {
			f, ok := remotetest.FaultNamed(name)
			if !ok {
				ts.Fatalf("s3 fault: unknown fault %q", name)
			}
			s.Inject(args[1], f)
		}
	case args[0] == "requests" && len(args) == 3:
		want, err := strconv.Atoi(args[2])
		if err != nil {
			ts.Fatalf("s3 requests: %q is not a number", args[2])
		}
		if got := s.Requests(args[1]); got != int64(want) {
			ts.Fatalf("s3 requests %s: got %d, want %d", args[1], got, want)
		}
	default:
		ts.Fatalf("usage: s3 start | fault METHOD FAULT... | requests METHOD N")
	}
}
