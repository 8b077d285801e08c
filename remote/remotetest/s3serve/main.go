// Command s3serve runs the tests' S3-protocol server (gofakes3, in memory, bucket
// genform-test) on a loopback port, for measuring genform push, pull and plan by hand:
//
//	go run ./remote/remotetest/s3serve &   # prints S3_URL=http://127.0.0.1:PORT
//	kill -USR1 PID                         # prints the requests received so far, by method
//
// It is not part of genform.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/genform/genform/remote/remotetest"
)

func main() {
	s, err := remotetest.StartS3Server()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer s.Close()
	fmt.Printf("S3_URL=%s\n", s.URL)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGINT, syscall.SIGTERM)
	for sig := range sigs {
		fmt.Printf("requests: GET %d, PUT %d, HEAD %d, DELETE %d\n",
			s.Requests("GET"), s.Requests("PUT"), s.Requests("HEAD"), s.Requests("DELETE"))
		if sig != syscall.SIGUSR1 {
			return
		}
	}
}
