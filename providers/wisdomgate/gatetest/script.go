package gatetest

import (
	"fmt"
	"net/http"
	"strconv"
)

// Reply is a scripted answer (see Server.Script).
type Reply struct {
	Status     int
	Message    string // the error.message; default the status text
	Body       string // the whole body instead of an error object, when set
	RetryAfter string // the Retry-After header, when set
	// Hangup closes the connection without an answer, after the whole request was read:
	// what a client sees of a reset, or of a proxy that died, after sending a request.
	Hangup bool
	// CutOff sends the status, a Content-Length for the whole Body, and half of it, then
	// closes the connection: a reply cut off.
	CutOff bool
}

// Script queues replies for the next requests to an endpoint, in order, before anything else
// (after the credentials check). A scripted request is counted and captured like any other.
func (s *Server) Script(ep Endpoint, replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[ep] = append(s.scripts[ep], replies...)
}

// write answers with the scripted reply.
func (rep Reply) write(w http.ResponseWriter) {
	if rep.Hangup || rep.CutOff {
		if rep.CutOff {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(rep.Body)))
			w.WriteHeader(rep.Status)
			fmt.Fprint(w, rep.Body[:len(rep.Body)/2])
			http.NewResponseController(w).Flush()
		}
		panic(http.ErrAbortHandler) // net/http drops the connection (HTTP/2: resets the stream)
	}
	if rep.RetryAfter != "" {
		w.Header().Set("Retry-After", rep.RetryAfter)
	}
	if rep.Body != "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rep.Status)
		fmt.Fprint(w, rep.Body)
		return
	}
	msg := rep.Message
	if msg == "" {
		msg = http.StatusText(rep.Status)
	}
	writeError(w, rep.Status, msg, errorType(rep.Status), nil)
}
