// Package wisdomgate is genform's client for the Wisdom Gate AI gateway: a plain net/http
// client configured by a `provider "wisdomgate"` block. It owns the routing of each request by
// model to the gateway's endpoints (chat completions, Gemini generateContent, the images API,
// the videos API), the wire formats of every documented request and reply variant, the model
// table genform validates and prices requests with, and the HTTP behaviour: credentials only to
// the gateway's host, a timeout per request, retries per request, client-side rate limits, and
// downloads streamed to a file with a size cap and a media-type check. It leaves retries of
// whole generations, state and file placement to the engine.
package wisdomgate

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/genform/genform/providers"
)

// Provider is a configured Wisdom Gate client. It is safe for concurrent use.
type Provider struct {
	settings
	clients atomic.Pointer[http.Client]                                       // swapped whole by SetParallelism
	tls     *tls.Config                                                       // nil: the system's roots; tests trust their fake
	dial    func(ctx context.Context, network, addr string) (net.Conn, error) // nil: a net.Dialer; tests fake DNS
	retry   *providers.Retrier
	limiter *providers.Limiter
	clock   providers.Clock

	logMu sync.Mutex
	log   io.Writer // debug log; nil when off
}

// New builds a provider from its block. It reads WISDOM_GATE_KEY (through cfg.Getenv) when
// api_key is not set, and GENFORM_LOG=debug turns on a request log on stderr. It never touches
// the network; a missing key is reported by Generate.
func New(cfg providers.Config) (providers.Provider, hcl.Diagnostics) {
	s, diags := decode(cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	p := &Provider{
		settings: s,
		clock:    providers.RealClock{},
		limiter:  providers.NewLimiter(s.concurrency, s.rpm),
	}
	p.retry = &providers.Retrier{MaxRetries: s.maxRetries, MaxAmbiguous: s.maxAmbiguous, Clock: p.clock}
	p.SetParallelism(DefaultSlots)
	if cfg.Getenv != nil && LogEnabled(cfg.Getenv("GENFORM_LOG")) {
		p.log = os.Stderr
	}
	return p, diags
}

// LogEnabled reports whether a GENFORM_LOG value turns the request log on: "debug" or
// "trace" (Terraform's TF_LOG names; the log has one level), in any case. Anything else,
// "off" or unset included, leaves it off.
func LogEnabled(level string) bool {
	return strings.EqualFold(level, "debug") || strings.EqualFold(level, "trace")
}

// SetClock replaces the clock of retries and video polling (tests use providers.FakeClock).
// Call it before the provider is used.
func (p *Provider) SetClock(c providers.Clock) {
	p.clock = c
	r := *p.retry
	r.Clock = c
	p.retry = &r
}

// DefaultSlots is the number of requests the connection pool is sized for until apply says
// its parallelism.
const DefaultSlots = 8

// SetParallelism sizes the provider's connection pool for n generations at once (the
// provider's own concurrency cap, when lower, bounds it): one transport for the gateway that
// keeps at least that many idle connections per host, so a batch reuses its connections
// instead of opening new ones, and speaks HTTP/2 where the gateway offers it over TLS. It
// replaces the transport, closing the old one's idle connections; call it before apply.
func (p *Provider) SetParallelism(n int) {
	if p.concurrency > 0 && p.concurrency < n {
		n = p.concurrency
	}
	n = max(n, 1)
	dial := p.dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dial,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       p.tls,
		MaxIdleConns:          0, // no global cap: the gateway and its file hosts each keep n
		MaxIdleConnsPerHost:   2 * n,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	old := p.clients.Swap(&http.Client{Transport: t, CheckRedirect: p.checkRedirect})
	if old != nil {
		old.CloseIdleConnections()
	}
}

func (p *Provider) client() *http.Client { return p.clients.Load() }

// SetLog sends the debug request log to w (nil turns it off). Call it before use.
func (p *Provider) SetLog(w io.Writer) { p.log = w }

// RequestTimeout implements providers.Timed: the block's timeout for one request.
func (p *Provider) RequestTimeout() time.Duration { return p.timeout }

// Limits implements providers.Limited: the block's concurrency and requests_per_minute.
func (p *Provider) Limits() (int, float64) { return p.concurrency, p.rpm }

// Limiter returns the provider's request limiter, to observe its adaptive window.
func (p *Provider) Limiter() *providers.Limiter { return p.limiter }

// MissingCredentials says what apply lacks to call this provider: "" when it has a key.
func (p *Provider) MissingCredentials() string {
	if p.key == "" {
		return "no API key for the wisdomgate provider: set " + KeyEnv + " (or api_key in the provider block)"
	}
	return ""
}

// Generate implements providers.Provider.
func (p *Provider) Generate(ctx context.Context, req *providers.Request, job *providers.Job) (*providers.Result, error) {
	if p.key == "" {
		return nil, &providers.Error{Class: providers.Auth,
			Message: "no API key for the wisdomgate provider: set " + KeyEnv + " (or api_key in the provider block)"}
	}
	if job == nil {
		job = &providers.Job{}
	}
	if job.ResumeURL != "" && req.Kind != providers.Chat {
		// already paid: the output is downloaded again from the link an earlier apply recorded
		return p.download(ctx, job.ResumeURL, req.Kind, job)
	}
	switch req.Kind {
	case providers.Chat:
		report(job, providers.PhaseGenerating, -1, "")
		return p.chat(ctx, req, job)
	case providers.Image:
		report(job, providers.PhaseGenerating, -1, "")
		switch p.endpointFor(req.Kind, req.Model) {
		case viaGemini:
			return p.gemini(ctx, req, job)
		case viaImages:
			return p.images(ctx, req, job)
		default:
			return p.chatImage(ctx, req, job)
		}
	case providers.Video:
		return p.video(ctx, req, job)
	}
	return nil, &providers.Error{Class: providers.Permanent, Message: fmt.Sprintf("wisdomgate cannot make %q assets", req.Kind)}
}

// Models lists the model ids the gateway offers (GET /v1/models), sorted.
func (p *Provider) Models(ctx context.Context) ([]string, error) {
	if p.key == "" {
		return nil, &providers.Error{Class: providers.Auth,
			Message: "no API key for the wisdomgate provider: set " + KeyEnv + " (or api_key in the provider block)"}
	}
	var reply struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	err := p.do(ctx, &call{method: http.MethodGet, url: p.api("/v1/models")}, nil, func(resp *http.Response) error {
		return decodeJSON(resp.Body, 16<<20, &reply)
	})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(reply.Data))
	for _, m := range reply.Data {
		if m.ID != "" {
			ids = append(ids, m.ID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// api makes the URL of a gateway path.
func (p *Provider) api(path string) string {
	u := *p.base
	u.Path += path
	return u.String()
}

func report(job *providers.Job, phase providers.Phase, pct int, msg string) {
	if job != nil && job.Progress != nil {
		job.Progress(providers.Progress{Phase: phase, Percent: pct, Message: msg})
	}
}

// decodeJSON reads at most limit bytes of JSON into v.
func decodeJSON(r io.Reader, limit int64, v any) error {
	b, err := readReply(r, limit)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return permanent("the gateway's reply is not the JSON expected: " + err.Error())
	}
	return nil
}

func permanent(msg string) error {
	return &providers.Error{Class: providers.Permanent, Message: msg}
}

func retryable(what string, err error) error {
	return &providers.Error{Class: providers.Retryable, Message: what + ": " + err.Error(), Err: err}
}
