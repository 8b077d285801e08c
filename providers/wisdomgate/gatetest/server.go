// Package gatetest is an in-process fake of the Wisdom Gate AI gateway, for tests, CLI scripts
// and benchmarks, in the manner of net/http/httptest. It serves every endpoint genform uses,
// faithfully to the gateway's documents: GET /v1/models, POST /v1/chat/completions (text, and
// images as a markdown link, a data: URI, {"mime_type","b64"} JSON or message.images[]),
// POST /v1beta/models/{model}:generateContent (inlineData images, a thought part to skip),
// POST /v1/images/generations (b64_json or url) and /v1/images/edits (multipart), and
// POST /v1/videos, GET /v1/videos/{id} and GET /v1/videos/{id}/content (both create reply
// shapes, queued/in_progress/processing, meta_data.url). Download links point at a second
// server, the files host, which records any credentials it is sent.
//
// The fake is strict by default, as strict as the strictest front end a gateway may sit
// behind (see strict.go): chunked request bodies, a missing or wrong Content-Type, a body
// that does not match its length, the key in the wrong header and fields the documents do not
// define are refused. Options.Lenient accepts what Go's net/http accepts.
//
// Knobs (latency, failure rate, scripted replies (errors, hang-ups, replies cut off), a 429
// token bucket with Retry-After, video render time, size and shape, TLS with HTTP/2) are set
// in Options or with the Set methods, which are safe for concurrent use. Counters, captured
// requests and the count of TCP connections let tests check what was sent.
//
// Two words in a prompt change what the fake does, so CLI scripts can reach the error paths:
// "[fail]" makes a video job fail (and any other generation answer 400), and "[block]" makes a
// Gemini prompt blocked, a chat image reply text only, and the images API answer 400.
package gatetest

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Endpoint names one endpoint of the fake, for counters and scripted replies.
type Endpoint string

// The endpoints of the fake gateway and its files host.
const (
	Models            Endpoint = "models"             // GET /v1/models
	Chat              Endpoint = "chat"               // POST /v1/chat/completions
	Gemini            Endpoint = "gemini"             // POST /v1beta/models/{model}:generateContent
	ImagesGenerations Endpoint = "images.generations" // POST /v1/images/generations
	ImagesEdits       Endpoint = "images.edits"       // POST /v1/images/edits
	VideosCreate      Endpoint = "videos.create"      // POST /v1/videos
	VideosGet         Endpoint = "videos.get"         // GET /v1/videos/{id}
	VideosContent     Endpoint = "videos.content"     // GET /v1/videos/{id}/content
	Files             Endpoint = "files"              // GET on the files host
	Unknown           Endpoint = "unknown"            // anything else (answered 404)
)

// Chat image reply variants (Options.ChatImageReply).
const (
	ReplyLink   = "link"   // content "![image](http://files-host/...png)"
	ReplyData   = "data"   // content "![image](data:image/png;base64,...)"
	ReplyJSON   = "json"   // content `{"mime_type":"image/png","b64":"..."}`
	ReplyImages = "images" // empty content, message.images[0].image_url.url = data URI
)

// Video download variants (Options.VideoDownload).
const (
	DownloadMeta     = "meta"     // completed status carries meta_data.url on the files host
	DownloadContent  = "content"  // no meta_data: GET /v1/videos/{id}/content serves the bytes
	DownloadRedirect = "redirect" // no meta_data: /content answers 302 to the files host
)

// Options configures a Server. The zero value is a fast, well-behaved gateway.
type Options struct {
	Key     string        // the API key accepted; "" accepts any non-empty key
	Latency time.Duration // added before every gateway answer that is not an error
	// FilesLatency is added before every answer of the files host (download links)
	FilesLatency time.Duration
	FailureRate  float64 // fraction of gateway requests answered 500 at random
	RateLimit    float64 // gateway requests per second (a token bucket); 0: none
	Burst        int     // the token bucket's size; default max(1, RateLimit)

	VideoPolls      int           // polls before a video completes; default 3
	VideoRenderTime time.Duration // and at least this long after its creation
	VideoSize       int64         // bytes of each video file; default 4096
	VideoIDField    string        // create reply: "id" (default, the full object) or "task_id"
	VideoStatus     string        // the running status word: "in_progress" (default), "processing", ...
	VideoDownload   string        // DownloadMeta (default), DownloadContent or DownloadRedirect

	ChatImageReply string // ReplyLink (default), ReplyData, ReplyJSON or ReplyImages
	Seed           uint64 // seeds the failure-rate draws
	// TLS serves the gateway over HTTPS, offering HTTP/2; Certificate is what to trust.
	TLS bool

	// Lenient accepts what Go's net/http accepts: chunked bodies, any Content-Type, the key
	// in either header, unknown fields. The default is strict (see strict.go).
	Lenient bool
}

// Server is a running fake gateway and its files host.
type Server struct {
	URL      string // the gateway's base URL, without /v1
	FilesURL string // the files host's base URL

	gw, files *httptest.Server
	conns     atomic.Int64 // new TCP connections to the gateway
	inflight  atomic.Int64 // gateway requests being answered
	maxFlight atomic.Int64 // the most gateway requests answered at once
	turns     turnarounds  // the client's time between an answer and its next request

	mu        sync.Mutex
	opts      Options
	limiter   *rate.Limiter
	rnd       *rand.Rand
	calls     map[Endpoint]int
	prompts   map[string]int
	paid      map[string]int
	scripts   map[Endpoint][]Reply
	requests  []Request
	sent      []Sent
	creds     []string
	blobs     map[string][]byte // files host: name -> bytes
	videos    map[string]*video
	videoSeq  int
	blobSeq   int
	modelList []string
}

// New starts a fake gateway. Close it when done.
func New(opts Options) *Server {
	s := &Server{
		calls:   map[Endpoint]int{},
		prompts: map[string]int{},
		paid:    map[string]int{},
		scripts: map[Endpoint][]Reply{},
		blobs:   map[string][]byte{},
		videos:  map[string]*video{},
		modelList: []string{
			"dall-e-2", "dall-e-3", "deepseek-r1", "deepseek-v3", "gemini-2.5-flash-image",
			"gemini-3-pro-image-preview", "gpt-image-1", "gpt-image-2", "grok-4-image",
			"sora-2", "sora-2-pro", "veo-3.1", "wisdom-ai-claude-sonnet-4", "wisdom-ai-glm4.5",
			"wisdom-ai-gpt5",
		},
	}
	s.rnd = rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15))
	s.setOptions(opts)
	s.files = httptest.NewServer(http.HandlerFunc(s.serveFiles))
	s.FilesURL = s.files.URL
	s.gw = httptest.NewUnstartedServer(http.HandlerFunc(s.serveGateway))
	s.gw.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	if opts.TLS {
		s.gw.EnableHTTP2 = true
		s.gw.StartTLS()
	} else {
		s.gw.Start()
	}
	s.URL = s.gw.URL
	return s
}

// Conns returns how many TCP connections clients have opened to the gateway so far.
func (s *Server) Conns() int64 { return s.conns.Load() }

// InFlight returns how many gateway requests are being answered now.
func (s *Server) InFlight() int64 { return s.inflight.Load() }

// MaxInFlight returns the most gateway requests answered at once since the server started.
func (s *Server) MaxInFlight() int64 { return s.maxFlight.Load() }

// Turnarounds lists, for every gateway request that came on a connection already used, the
// time from the answer before it on that connection to its arrival: how long the client took
// to send its next request once it had a reply (a client's own overhead, apart from latency).
func (s *Server) Turnarounds() []time.Duration { return s.turns.list() }

// turnarounds keeps Turnarounds: when each connection's last answer was written.
type turnarounds struct {
	mu   sync.Mutex
	last map[string]time.Time // connection -> its last answer
	gaps []time.Duration
}

func (t *turnarounds) arrived(conn string) {
	now := time.Now()
	t.mu.Lock()
	if at, ok := t.last[conn]; ok {
		t.gaps = append(t.gaps, now.Sub(at))
	}
	t.mu.Unlock()
}

func (t *turnarounds) answered(conn string) {
	now := time.Now()
	t.mu.Lock()
	if t.last == nil {
		t.last = map[string]time.Time{}
	}
	t.last[conn] = now
	t.mu.Unlock()
}

func (t *turnarounds) list() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.gaps)
}

// Certificate returns the gateway's TLS certificate (Options.TLS), for a client to trust.
func (s *Server) Certificate() *x509.Certificate { return s.gw.Certificate() }

// Close shuts both servers down.
func (s *Server) Close() {
	s.gw.Close()
	s.files.Close()
}

func (s *Server) setOptions(o Options) {
	if o.VideoPolls <= 0 {
		o.VideoPolls = 3
	}
	if o.VideoSize <= 0 {
		o.VideoSize = 4096
	}
	if o.VideoIDField == "" {
		o.VideoIDField = "id"
	}
	if o.VideoStatus == "" {
		o.VideoStatus = "in_progress"
	}
	if o.VideoDownload == "" {
		o.VideoDownload = DownloadMeta
	}
	if o.ChatImageReply == "" {
		o.ChatImageReply = ReplyLink
	}
	s.opts = o
	s.limiter = nil
	if o.RateLimit > 0 {
		burst := o.Burst
		if burst <= 0 {
			burst = int(math.Max(1, o.RateLimit))
		}
		s.limiter = rate.NewLimiter(rate.Limit(o.RateLimit), burst)
	}
}

// Update changes the options under the server's lock: f gets the current options to edit.
func (s *Server) Update(f func(*Options)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.opts
	f(&o)
	s.setOptions(o)
}

// SetLatency sets the delay added to every successful gateway answer.
func (s *Server) SetLatency(d time.Duration) { s.Update(func(o *Options) { o.Latency = d }) }

// SetFailureRate sets the fraction of gateway requests answered 500 at random.
func (s *Server) SetFailureRate(f float64) { s.Update(func(o *Options) { o.FailureRate = f }) }

// SetRateLimit makes the gateway answer 429 with Retry-After beyond perSecond requests per
// second (burst at once); 0 removes the limit.
func (s *Server) SetRateLimit(perSecond float64, burst int) {
	s.Update(func(o *Options) { o.RateLimit, o.Burst = perSecond, burst })
}

// SetVideo sets how many polls and how long a video takes, and its size in bytes.
func (s *Server) SetVideo(polls int, renderTime time.Duration, size int64) {
	s.Update(func(o *Options) { o.VideoPolls, o.VideoRenderTime, o.VideoSize = polls, renderTime, size })
}

// SetVideoShape sets the create reply's id field ("id" or "task_id"), the running status word
// and the download variant.
func (s *Server) SetVideoShape(idField, runningStatus, download string) {
	s.Update(func(o *Options) { o.VideoIDField, o.VideoStatus, o.VideoDownload = idField, runningStatus, download })
}

// SetChatImageReply sets how chat completions return an image (ReplyLink, ReplyData, ...).
func (s *Server) SetChatImageReply(variant string) {
	s.Update(func(o *Options) { o.ChatImageReply = variant })
}

// Calls returns how many requests an endpoint has received, whatever their answer.
func (s *Server) Calls(ep Endpoint) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[ep]
}

// PromptCalls returns how many generation requests carried this prompt, whatever their answer.
func (s *Server) PromptCalls(prompt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.prompts[prompt]
}

// Paid returns how many generations with this prompt the gateway answered with success: what
// a real gateway would bill.
func (s *Server) Paid(prompt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paid[prompt]
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// FileCredentials returns the credentials the files host was sent (Authorization and
// x-goog-api-key values), which should be none.
func (s *Server) FileCredentials() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.creds...)
}

// Reset forgets counters, captured requests and scripted replies; options stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[Endpoint]int{}
	s.prompts = map[string]int{}
	s.paid = map[string]int{}
	s.scripts = map[Endpoint][]Reply{}
	s.requests = nil
	s.creds = nil
}

// serveGateway checks, counts and captures a request, applies the knobs, then routes it.
func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	n := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	s.turns.arrived(r.RemoteAddr)
	defer s.turns.answered(r.RemoteAddr)
	for m := s.maxFlight.Load(); n > m && !s.maxFlight.CompareAndSwap(m, n); m = s.maxFlight.Load() {
	}
	ep, route := s.route(r)
	s.mu.Lock()
	strict := !s.opts.Lenient
	s.mu.Unlock()
	framed := !strict || ep == Unknown || s.framing(w, r, ep)
	var req Request
	var err error
	if framed {
		req, err = capture(ep, r)
	} else {
		req = Request{Endpoint: ep, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone()}
	}
	req.ContentLength, req.TransferEncoding = r.ContentLength, r.TransferEncoding
	s.mu.Lock()
	s.calls[ep]++
	if req.Prompt != "" {
		s.prompts[req.Prompt]++
	}
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	switch {
	case !framed:
		return
	case errors.Is(err, io.ErrUnexpectedEOF) && r.ContentLength > 0:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("The request body is shorter than its Content-Length of %d bytes.", r.ContentLength), "invalid_request_error", nil)
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, "could not read the request body: "+err.Error(), "invalid_request_error", nil)
		return
	case ep == Unknown:
		writeError(w, http.StatusNotFound, "Invalid URL ("+r.Method+" "+r.URL.Path+")", "invalid_request_error", nil)
		return
	}
	if !s.authorized(w, r, ep, strict) {
		return
	}
	if bad := unknownFields(&req); strict && len(bad) > 0 {
		msg := fmt.Sprintf("Unrecognized request argument supplied: %s", strings.Join(bad, ", "))
		if ep == Gemini {
			writeGeminiError(w, http.StatusBadRequest, "Invalid JSON payload received. Unknown name "+strings.Join(bad, ", "), "INVALID_ARGUMENT")
		} else {
			writeError(w, http.StatusBadRequest, msg, "invalid_request_error", nil)
		}
		return
	}
	if !s.admit(w, ep) {
		return
	}
	s.mu.Lock()
	d := s.opts.Latency
	s.mu.Unlock()
	if d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	route(w, r, &req)
	// the reply is fully handed to the connection before it is logged as sent
	_ = http.NewResponseController(w).Flush()
	s.mu.Lock()
	s.sent = append(s.sent, Sent{Endpoint: ep, Prompt: req.Prompt, At: time.Now()})
	s.mu.Unlock()
}

// Sent is one gateway reply, logged once it was fully written to the connection.
type Sent struct {
	Endpoint Endpoint
	Prompt   string
	At       time.Time
}

// Sent returns the log of replies fully sent, in order: with the receipts a client logs, it
// tells a reply lost in the window between sending and recording from one never received.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// authorized checks the credentials: Bearer on OpenAI-style paths, x-goog-api-key on /v1beta
// (lenient mode also takes Bearer there).
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, ep Endpoint, strict bool) bool {
	s.mu.Lock()
	want := s.opts.Key
	s.mu.Unlock()
	key, wrong := credentials(r, ep, strict)
	switch {
	case wrong != "":
		if ep == Gemini {
			writeGeminiError(w, http.StatusUnauthorized, "Wrong authentication header: "+wrong+".", "UNAUTHENTICATED")
		} else {
			writeError(w, http.StatusUnauthorized, "Wrong authentication header: "+wrong+".", "invalid_request_error", "invalid_api_key")
		}
		return false
	case key == "":
		if ep == Gemini {
			writeGeminiError(w, http.StatusUnauthorized, "Method doesn't allow unregistered callers. Please use an API key.", "UNAUTHENTICATED")
		} else {
			writeError(w, http.StatusUnauthorized, "You didn't provide an API key.", "invalid_request_error", "invalid_api_key")
		}
		return false
	case want != "" && key != want:
		if ep == Gemini {
			writeGeminiError(w, http.StatusUnauthorized, "API key not valid. Please pass a valid API key.", "UNAUTHENTICATED")
		} else {
			writeError(w, http.StatusUnauthorized, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
		}
		return false
	}
	return true
}

// admit applies scripted replies, the rate limit and the failure rate.
func (s *Server) admit(w http.ResponseWriter, ep Endpoint) bool {
	s.mu.Lock()
	if q := s.scripts[ep]; len(q) > 0 {
		rep := q[0]
		s.scripts[ep] = q[1:]
		s.mu.Unlock()
		rep.write(w)
		return false
	}
	if s.limiter != nil {
		now := time.Now()
		if !s.limiter.AllowN(now, 1) {
			res := s.limiter.ReserveN(now, 1)
			d := res.DelayFrom(now)
			res.CancelAt(now)
			s.mu.Unlock()
			secs := int(math.Ceil(d.Seconds()))
			if secs < 1 {
				secs = 1
			}
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeError(w, http.StatusTooManyRequests, "Rate limit reached for requests. Please try again later.", "requests", "rate_limit_exceeded")
			return false
		}
	}
	fail := s.opts.FailureRate > 0 && s.rnd.Float64() < s.opts.FailureRate
	s.mu.Unlock()
	if fail {
		writeError(w, http.StatusInternalServerError, "The server had an error while processing your request.", "server_error", nil)
		return false
	}
	return true
}

func errorType(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "requests"
	case status >= 500:
		return "server_error"
	}
	return "invalid_request_error"
}

// writeError writes an OpenAI-style error body.
func writeError(w http.ResponseWriter, status int, message, typ string, code any) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"message": message, "type": typ, "param": nil, "code": code,
	}})
}

// writeGeminiError writes a google.rpc.Status error body.
func writeGeminiError(w http.ResponseWriter, status int, message, code string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": status, "message": message, "status": code,
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the fake only marshals its own maps
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
