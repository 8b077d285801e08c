package wisdomgate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/genform/genform/providers"
)

// call is one HTTP request, which do may send several times.
type call struct {
	method string
	url    string
	// body makes a fresh request body for each attempt, with its exact length and its
	// Content-Type; nil for none.
	body func() (*reqBody, error)
	// logBody describes the body for the debug log (never base64 payloads).
	logBody string
	// paid marks a generation: once the gateway has answered 2xx, a failure to read or
	// parse the reply is not retried, since sending the request again would pay again.
	paid bool
	// stream applies the timeout to the gaps between reads of the reply instead of to the
	// whole request, for large downloads.
	stream bool
	accept string
}

// do sends c, with retries, through the limiter, and hands a 2xx reply to handle. handle runs
// within the attempt (its timeout covers reading the reply); the body is closed after it.
func (p *Provider) do(ctx context.Context, c *call, job *providers.Job, handle func(*http.Response) error) error {
	u, err := url.Parse(c.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return permanent(fmt.Sprintf("refusing to fetch %q: only http(s) URLs are allowed", redactURL(c.url)))
	}
	gateway := p.sameHost(u)
	return p.retry.Do(ctx, func(ctx context.Context) error {
		sent, err := p.attempt(ctx, c, u, gateway, handle)
		if err == nil || !c.paid || !sent {
			return err
		}
		return p.paidFailure(ctx, err, job)
	}, func(r providers.Retry) {
		report(job, providers.PhaseRetrying, -1, fmt.Sprintf("%s; retrying in %v", r.Err, r.Wait.Round(time.Millisecond)))
	})
}

// attempt sends c once. sent tells whether the whole request reached the server, after
// which a paid request may have been charged whatever became of the reply.
func (p *Provider) attempt(ctx context.Context, c *call, u *url.URL, gateway bool, handle func(*http.Response) error) (sent bool, err error) {
	release := func(providers.Outcome) {}
	if gateway {
		if release, err = p.limiter.Acquire(ctx); err != nil {
			return false, err
		}
	}
	outcome := providers.Aborted
	defer func() { release(outcome) }()

	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	timer := time.AfterFunc(p.timeout, cancel)
	defer timer.Stop()
	var wrote atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{WroteRequest: func(w httptrace.WroteRequestInfo) {
		if w.Err == nil {
			wrote.Store(true)
		}
	}})

	req, err := p.newRequest(actx, c, u, gateway)
	if err != nil {
		return false, err
	}
	start := time.Now()
	resp, err := p.client().Do(req)
	if err != nil {
		p.logf("wisdomgate: %s %s failed after %v: %v", c.method, redactURL(c.url), time.Since(start).Round(time.Millisecond), p.redact(err.Error()))
		if ctx.Err() != nil {
			return wrote.Load(), ctx.Err()
		}
		return wrote.Load(), p.netError(err, u, gateway, actx)
	}
	defer resp.Body.Close()
	p.logf("wisdomgate: %s %s -> %s in %v", c.method, redactURL(c.url), resp.Status, time.Since(start).Round(time.Millisecond))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		outcome = providers.Done
		if resp.StatusCode == http.StatusTooManyRequests {
			outcome = providers.Throttled
		}
		return true, p.httpError(resp)
	}
	outcome = providers.Done
	if c.stream {
		resp.Body = &idleBody{ReadCloser: resp.Body, timer: timer, d: p.timeout}
	}
	if err = handle(resp); err == nil || ctx.Err() != nil {
		if err != nil {
			err = ctx.Err()
		}
		return true, err
	}
	if actx.Err() != nil {
		err = &providers.Error{Class: providers.Retryable, Message: fmt.Sprintf("the gateway's reply stalled for more than %v (timeout)", p.timeout), Err: err}
	}
	if c.paid && providers.ClassOf(err) == providers.Retryable {
		err = &providers.Error{Class: providers.Retryable, Err: err,
			Message: "the gateway accepted the request but its reply was cut off (" + err.Error() + ")"}
	}
	return true, err
}

// paidFailure settles a failed attempt of a paid request that reached the gateway. A failure
// with no complete reply (a timeout, a reset, a 5xx, a reply cut off) may have been charged:
// it becomes Ambiguous, the job is told, and it is retried only as max_ambiguous_retries and
// the job allow. A complete refusal (4xx, 429) charged nothing and keeps its class.
func (p *Provider) paidFailure(ctx context.Context, err error, job *providers.Job) error {
	canceled := ctx.Err() != nil
	if !canceled && providers.ClassOf(err) != providers.Retryable {
		return err
	}
	amb := &providers.Error{Class: providers.Ambiguous, Err: err, Message: err.Error()}
	var pe *providers.Error
	if errors.As(err, &pe) {
		amb.Status, amb.RetryAfter, amb.Message = pe.Status, pe.RetryAfter, pe.Message
	}
	amb.Message = strings.TrimSuffix(amb.Message, ".") + "; the gateway may have charged for it"
	if job == nil || job.PossiblyCharged == nil {
		if canceled {
			return err
		}
		return amb
	}
	veto := job.PossiblyCharged()
	switch {
	case canceled:
		return err
	case veto != nil:
		return &providers.Error{Class: providers.Permanent, Status: amb.Status, Err: amb,
			Message: amb.Message + "; not sent again: " + veto.Error()}
	}
	return amb
}

func (p *Provider) newRequest(ctx context.Context, c *call, u *url.URL, gateway bool) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, c.method, u.String(), nil)
	if err != nil {
		return nil, permanent("building the request: " + err.Error())
	}
	if c.body != nil {
		body, err := c.body()
		if err != nil {
			return nil, err
		}
		// An exact Content-Length, never a chunked body: many servers and proxies in front
		// of a gateway do not read chunked request bodies.
		req.ContentLength = body.size
		req.Body = body
		if body.size == 0 {
			body.Close()
			req.Body = http.NoBody
		}
		req.GetBody = func() (io.ReadCloser, error) { // a 307 or 308 sends it again
			b, err := c.body()
			if err != nil {
				return nil, err
			}
			return b, nil
		}
		req.Header.Set("Content-Type", body.ctype)
	}
	accept := c.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "genform")
	if gateway {
		if strings.HasPrefix(u.Path, p.base.Path+"/v1beta/") {
			req.Header.Set("x-goog-api-key", p.key)
		} else {
			req.Header.Set("Authorization", "Bearer "+p.key)
		}
	}
	if p.log != nil {
		p.logf("wisdomgate: %s %s%s%s", c.method, redactURL(u.String()), headerLog(req.Header), bodyLog(c.logBody))
	}
	return req, nil
}

// checkRedirect follows at most 10 redirects, to http(s) only, and drops the credentials when
// a redirect leaves the gateway's scheme and host.
func (p *Provider) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("refusing to follow a redirect to a %s: URL", req.URL.Scheme)
	}
	if !p.sameHost(req.URL) {
		req.Header.Del("Authorization")
		req.Header.Del("x-goog-api-key")
	}
	return nil
}

// sameHost tells whether u is on the configured gateway: same scheme, host and port.
func (p *Provider) sameHost(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, p.base.Scheme) && hostPort(u) == hostPort(p.base)
}

func hostPort(u *url.URL) string { return strings.ToLower(u.Hostname()) + ":" + port(u) }

// port is u's port, or its scheme's.
func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	return map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
}

// netError classifies an error of the transport, with the URL's query removed. A gateway
// host name that does not resolve (or cannot be looked up), or a refused connection, fails at
// once naming the host: retrying does not make base_url right, nor bring the network back in
// the seconds retries wait. Anything else may pass: retryable.
func (p *Provider) netError(err error, u *url.URL, gateway bool, actx context.Context) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = redactURL(ue.URL)
	}
	if actx.Err() != nil {
		return &providers.Error{Class: providers.Retryable, Err: err,
			Message: fmt.Sprintf("the gateway did not answer within %v (timeout)", p.timeout)}
	}
	var dns *net.DNSError
	switch {
	case gateway && errors.As(err, &dns) && dns.IsNotFound:
		return &providers.Error{Class: providers.Permanent, Err: err, Message: fmt.Sprintf(
			"the gateway host %q does not exist (DNS: no such host): check base_url in the provider block", u.Hostname())}
	case gateway && errors.As(err, &dns):
		return &providers.Error{Class: providers.Permanent, Err: err, Message: fmt.Sprintf(
			"cannot look up the gateway host %q (DNS: %s): check the network, and base_url in the provider block", u.Hostname(), dns.Err)}
	case gateway && errors.Is(err, syscall.ECONNREFUSED):
		return &providers.Error{Class: providers.Permanent, Err: err, Message: fmt.Sprintf(
			"the gateway host %s refused the connection: nothing listens on port %s there; check base_url in the provider block",
			u.Hostname(), port(u))}
	}
	where := "the gateway"
	if !gateway {
		where = u.Hostname()
	}
	return &providers.Error{Class: providers.Retryable, Err: err, Message: "cannot reach " + where + ": " + p.redact(err.Error())}
}

// httpError turns a non-2xx reply into a classified error with the gateway's error.message.
func (p *Provider) httpError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg, code := errorMessage(b)
	if msg == "" {
		msg = strings.TrimSpace(http.StatusText(resp.StatusCode))
		if msg == "" {
			msg = "unexpected reply"
		}
		msg = "the gateway answered " + msg
	}
	e := &providers.Error{
		Status:     resp.StatusCode,
		Message:    p.redact(msg),
		RetryAfter: providers.ParseRetryAfter(resp.Header, p.clock.Now()),
	}
	switch s := resp.StatusCode; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		e.Class = providers.Auth
	case s == http.StatusTooManyRequests:
		e.Class = providers.RateLimited
		if code == "insufficient_quota" {
			e.Class = providers.Permanent // out of credit: waiting does not help
		}
	case s == http.StatusRequestTimeout || s >= 500:
		e.Class = providers.Retryable
	default:
		e.Class = providers.Permanent
	}
	return e
}

// errorMessage reads error.message from an OpenAI-style or Google-style error body, or a
// bare {"message"} or {"error": "..."}.
func errorMessage(b []byte) (msg, code string) {
	var body struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(b, &body) != nil {
		return "", ""
	}
	var obj struct {
		Message string `json:"message"`
		Code    any    `json:"code"`
		Status  string `json:"status"`
	}
	var str string
	switch {
	case json.Unmarshal(body.Error, &obj) == nil && obj.Message != "":
		if c, ok := obj.Code.(string); ok {
			code = c
		}
		return truncate(obj.Message, 1000), code
	case json.Unmarshal(body.Error, &str) == nil && str != "":
		return truncate(str, 1000), ""
	}
	return truncate(body.Message, 1000), ""
}

// idleBody restarts the request's timer on every read, so a long download times out only
// when it stalls.
type idleBody struct {
	io.ReadCloser
	timer *time.Timer
	d     time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.timer.Reset(b.d)
	}
	return n, err
}

// redact removes the API key from a message.
func (p *Provider) redact(s string) string {
	if p.key == "" || len(p.key) < 4 {
		return s
	}
	return strings.ReplaceAll(s, p.key, "[redacted]")
}

// redactURL drops a URL's query and user info, which may hold signatures or tokens.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparsable URL]"
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "[redacted]"
	}
	u.Fragment = ""
	return u.String()
}

// truncate shortens s to at most n bytes, on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// The debug log.

func (p *Provider) logf(format string, args ...any) {
	if p.log == nil {
		return
	}
	line := p.redact(fmt.Sprintf(format, args...))
	p.logMu.Lock()
	defer p.logMu.Unlock()
	fmt.Fprintln(p.log, line)
}

func headerLog(h http.Header) string {
	var b strings.Builder
	for _, k := range []string{"Authorization", "X-Goog-Api-Key", "Content-Type"} {
		v := h.Get(k)
		if v == "" {
			continue
		}
		switch k {
		case "Authorization":
			v = "Bearer [redacted]"
		case "X-Goog-Api-Key":
			v = "[redacted]"
		}
		fmt.Fprintf(&b, " %s: %s;", k, v)
	}
	return b.String()
}

var base64Run = regexp.MustCompile(`[A-Za-z0-9+/=_-]{120,}`)

// bodyLog shortens a body for the log and replaces base64 payloads by their length.
func bodyLog(s string) string {
	if s == "" {
		return ""
	}
	s = base64Run.ReplaceAllStringFunc(s, func(m string) string { return fmt.Sprintf("[%d base64 chars]", len(m)) })
	return " body: " + truncate(s, 2000)
}
