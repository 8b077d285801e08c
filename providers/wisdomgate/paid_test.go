package wisdomgate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/providers/wisdomgate/gatetest"
)

// A paid request that reached the gateway and got no complete reply may have been charged:
// it is sent again at most max_ambiguous_retries times, and every such attempt is reported.
func TestAmbiguousRetries(t *testing.T) {
	reply := `{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there, this reply is long enough to cut."},"finish_reason":"stop"}]}`
	failures := []struct {
		name  string
		reply gatetest.Reply
		msg   string
	}{
		{"5xx", gatetest.Reply{Status: 502}, "Bad Gateway"},
		{"reset after the request", gatetest.Reply{Hangup: true}, "cannot reach the gateway"},
		{"reply cut off", gatetest.Reply{Status: 200, Body: reply, CutOff: true}, "reply was cut off"},
		{"timeout", gatetest.Reply{}, "did not answer within"},
	}
	for _, f := range failures {
		for _, n := range []int{0, 1, 2} {
			t.Run(fmt.Sprintf("%s, max_ambiguous_retries = %d", f.name, n), func(t *testing.T) {
				opts := gatetest.Options{}
				extra := fmt.Sprintf("max_retries = 5\nmax_ambiguous_retries = %d", n)
				if f.name == "timeout" {
					opts.Latency = time.Second
					extra += "\ntimeout = \"50ms\""
				}
				p, srv, _ := setup(t, opts, extra)
				if f.name != "timeout" {
					replies := make([]gatetest.Reply, 10)
					for i := range replies {
						replies[i] = f.reply
					}
					srv.Script(gatetest.Chat, replies...)
				}
				charged := 0
				_, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Chat, Model: "deepseek-v3", Prompt: "Hi"},
					&providers.Job{Dir: t.TempDir(), PossiblyCharged: func() error { charged++; return nil }})
				wantClass(t, err, providers.Ambiguous, f.msg)
				if !strings.Contains(err.Error(), "may have charged") {
					t.Errorf("error %q does not say it may have been charged", err)
				}
				if calls := srv.Calls(gatetest.Chat); calls != n+1 {
					t.Errorf("sent %d times, want %d", calls, n+1)
				}
				if charged != n+1 {
					t.Errorf("%d attempts reported as possibly charged, want %d", charged, n+1)
				}
			})
		}
	}
}

// A refusal is a complete reply: nothing was charged, and 429s are retried as before.
func TestPaidRefusalsAreNotAmbiguous(t *testing.T) {
	p, srv, _ := setup(t, gatetest.Options{}, "max_ambiguous_retries = 0")
	srv.Script(gatetest.Chat, gatetest.Reply{Status: 429, RetryAfter: "1"}, gatetest.Reply{Status: 429}, gatetest.Reply{Status: 400, Message: "Invalid 'temperature'"})
	charged := 0
	_, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Chat, Model: "deepseek-v3", Prompt: "Hi"},
		&providers.Job{Dir: t.TempDir(), PossiblyCharged: func() error { charged++; return nil }})
	wantClass(t, err, providers.Permanent, "Invalid 'temperature'")
	if calls := srv.Calls(gatetest.Chat); calls != 3 || charged != 0 {
		t.Errorf("sent %d times (want 3), %d possibly charged (want 0)", calls, charged)
	}
}

// When the job refuses another attempt (the budget would not cover it), the request is not
// sent again, and the error says why.
func TestAmbiguousRetryRefused(t *testing.T) {
	p, srv, _ := setup(t, gatetest.Options{}, "max_ambiguous_retries = 3")
	srv.Script(gatetest.Gemini, gatetest.Reply{Status: 500}, gatetest.Reply{Status: 500})
	charged := 0
	_, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Image, Model: "gemini-3-pro-image-preview", Prompt: "A fox"},
		&providers.Job{Dir: t.TempDir(), PossiblyCharged: func() error {
			charged++
			if charged > 1 {
				return errors.New("the budget of $1.00 would be exceeded")
			}
			return nil
		}})
	wantClass(t, err, providers.Permanent, "may have charged for it; not sent again: the budget of $1.00 would be exceeded")
	if calls := srv.Calls(gatetest.Gemini); calls != 2 || charged != 2 {
		t.Errorf("sent %d times (want 2), %d possibly charged (want 2)", calls, charged)
	}
}

// A request that never reached the server (here: a TLS handshake with a plain HTTP server)
// cannot have been charged: it is retried up to max_retries, as before.
func TestFailureBeforeSendingIsRetried(t *testing.T) {
	srv := gatetest.New(gatetest.Options{})
	t.Cleanup(srv.Close)
	p, diags := build(t, fmt.Sprintf("base_url = %q\nmax_retries = 2\nmax_ambiguous_retries = 0", strings.Replace(srv.URL, "http:", "https:", 1)),
		map[string]string{KeyEnv: testKey})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	clock := providers.NewFakeClock(time.Now())
	p.SetClock(clock)
	charged := 0
	_, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Chat, Model: "deepseek-v3", Prompt: "Hi"},
		&providers.Job{Dir: t.TempDir(), PossiblyCharged: func() error { charged++; return nil }})
	wantClass(t, err, providers.Retryable, "cannot reach the gateway")
	if n := len(clock.Sleeps()); n != 2 || charged != 0 {
		t.Errorf("%d retries (want 2), %d possibly charged (want 0)", n, charged)
	}
}
