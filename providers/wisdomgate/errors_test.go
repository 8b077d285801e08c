package wisdomgate

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/providers/wisdomgate/gatetest"
)

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name      string
		replies   []gatetest.Reply
		wantErr   bool
		wantClass providers.Class
		wantMsg   string
		wantCalls int
		minWait   time.Duration // the first wait at least (Retry-After)
		maxWait   time.Duration
	}{
		{name: "400 fails at once with the gateway's message",
			replies: []gatetest.Reply{{Status: 400, Message: "Invalid 'size'"}},
			wantErr: true, wantClass: providers.Permanent, wantMsg: "Invalid 'size' (HTTP 400)", wantCalls: 1},
		{name: "401 is auth", replies: []gatetest.Reply{{Status: 401, Message: "Incorrect API key provided."}},
			wantErr: true, wantClass: providers.Auth, wantMsg: "Incorrect API key provided.", wantCalls: 1},
		{name: "403 is auth", replies: []gatetest.Reply{{Status: 403}},
			wantErr: true, wantClass: providers.Auth, wantMsg: "Forbidden", wantCalls: 1},
		{name: "404 fails at once", replies: []gatetest.Reply{{Status: 404, Message: "The model 'x' does not exist"}},
			wantErr: true, wantClass: providers.Permanent, wantMsg: "The model 'x' does not exist", wantCalls: 1},
		{name: "5xx on a paid request retried max_ambiguous_retries times",
			replies: []gatetest.Reply{{Status: 500}, {Status: 502}, {Status: 503}, {Status: 504}},
			wantErr: true, wantClass: providers.Ambiguous, wantMsg: "the gateway may have charged for it (HTTP 502)", wantCalls: 2},
		{name: "503 then success", replies: []gatetest.Reply{{Status: 503}}, wantCalls: 2},
		{name: "429 honours Retry-After and does not use up retries",
			replies: []gatetest.Reply{
				{Status: 429, RetryAfter: "7"}, {Status: 429, RetryAfter: "7"}, {Status: 429, RetryAfter: "7"},
				{Status: 429, RetryAfter: "7"}, {Status: 429, RetryAfter: "7"},
			},
			wantCalls: 6, minWait: 7 * time.Second, maxWait: 7*time.Second + 1400*time.Millisecond},
		{name: "429 out of quota is permanent",
			replies: []gatetest.Reply{{Status: 429, Body: `{"error":{"message":"You exceeded your current quota.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`}},
			wantErr: true, wantClass: providers.Permanent, wantMsg: "You exceeded your current quota.", wantCalls: 1},
		{name: "Google-style error body",
			replies: []gatetest.Reply{{Status: 400, Body: `{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}}`}},
			wantErr: true, wantClass: providers.Permanent, wantMsg: "API key not valid.", wantCalls: 1},
		{name: "a body that is not JSON", replies: []gatetest.Reply{{Status: 400, Body: "<html>bad</html>"}},
			wantErr: true, wantClass: providers.Permanent, wantMsg: "the gateway answered Bad Request", wantCalls: 1},
		{name: "a gateway message holding the key is redacted",
			replies: []gatetest.Reply{{Status: 400, Message: "Key " + testKey + " is not allowed here"}},
			wantErr: true, wantClass: providers.Permanent, wantMsg: "Key [redacted] is not allowed here", wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, srv, clock := setup(t, gatetest.Options{}, "max_retries = 3")
			srv.Script(gatetest.Chat, tt.replies...)
			var retries []string
			_, err := p.Generate(context.Background(),
				&providers.Request{Kind: providers.Chat, Model: "deepseek-r1", Prompt: "Hi"},
				&providers.Job{Dir: t.TempDir(), Progress: func(pr providers.Progress) {
					if pr.Phase == providers.PhaseRetrying {
						retries = append(retries, pr.Message)
					}
				}})
			if tt.wantErr {
				wantClass(t, err, tt.wantClass, tt.wantMsg)
			} else if err != nil {
				t.Fatal(err)
			}
			if n := srv.Calls(gatetest.Chat); n != tt.wantCalls {
				t.Errorf("calls = %d, want %d", n, tt.wantCalls)
			}
			sleeps := clock.Sleeps()
			if len(sleeps) != tt.wantCalls-1 || len(retries) != len(sleeps) {
				t.Errorf("%d waits and %d retry reports for %d calls", len(sleeps), len(retries), tt.wantCalls)
			}
			if tt.minWait > 0 && (len(sleeps) == 0 || sleeps[0] < tt.minWait || sleeps[0] > tt.maxWait) {
				t.Errorf("waits = %v, want the first in [%v, %v]", sleeps, tt.minWait, tt.maxWait)
			}
		})
	}
}

func TestNoKey(t *testing.T) {
	srv := gatetest.New(gatetest.Options{})
	defer srv.Close()
	p, diags := build(t, `base_url = "`+srv.URL+`"`, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	_, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Chat, Model: "deepseek-v3", Prompt: "Hi"}, nil)
	wantClass(t, err, providers.Auth, "set WISDOM_GATE_KEY")
	_, err = p.Models(context.Background())
	wantClass(t, err, providers.Auth, "set WISDOM_GATE_KEY")
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent without a key", n)
	}
}

func TestWrongKey(t *testing.T) {
	p, _, _ := setup(t, gatetest.Options{Key: "another-key"}, "")
	_, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Image, Model: "gemini-3-pro-image-preview", Prompt: "x"},
		&providers.Job{Dir: t.TempDir()})
	wantClass(t, err, providers.Auth, "API key not valid")
}

func TestImageDownloadChecks(t *testing.T) {
	content := func(s string) string {
		return `{"id":"c1","choices":[{"index":0,"message":{"role":"assistant","content":` + s + `},"finish_reason":"stop"}]}`
	}
	tests := []struct {
		name    string
		extra   string
		reply   *gatetest.Reply
		variant string
		class   providers.Class
		msg     string
	}{
		{name: "size cap on a download", extra: "max_image_bytes = 100", variant: gatetest.ReplyLink,
			class: providers.Permanent, msg: "larger than the max_image_bytes cap of 100 bytes"},
		{name: "size cap on base64", extra: "max_image_bytes = 100", variant: gatetest.ReplyJSON,
			class: providers.Permanent, msg: "larger than the max_image_bytes cap of 100 bytes"},
		{name: "HTML where an image should be",
			reply: &gatetest.Reply{Status: 200, Body: content(`"{\"mime_type\":\"image/png\",\"b64\":\"` + base64.StdEncoding.EncodeToString([]byte("<html><body>hi</body></html>")) + `\"}"`)},
			class: providers.Permanent, msg: "the gateway sent text/html where an image was expected"},
		{name: "a PNG header on broken bytes",
			reply: &gatetest.Reply{Status: 200, Body: content(`"data:image/png;base64,` + base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nbroken")) + `"`)},
			class: providers.Permanent, msg: "the gateway sent a broken image/png"},
		{name: "bad base64",
			reply: &gatetest.Reply{Status: 200, Body: content(`"{\"mime_type\":\"image/png\",\"b64\":\"!!!not base64!!!\"}"`)},
			class: providers.Permanent, msg: "does not decode"},
		{name: "text instead of an image",
			reply: &gatetest.Reply{Status: 200, Body: content(`"I cannot draw that."`)},
			class: providers.Permanent, msg: `no image came back; the model said: "I cannot draw that."`},
		{name: "a file: link is not followed",
			reply: &gatetest.Reply{Status: 200, Body: content(`"![image](file:///etc/passwd)"`)},
			class: providers.Permanent, msg: "no image came back"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, srv, _ := setup(t, gatetest.Options{ChatImageReply: tt.variant}, tt.extra)
			if tt.reply != nil {
				srv.Script(gatetest.Chat, *tt.reply)
			}
			dir := t.TempDir()
			_, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Image, Model: "grok-4-image", Prompt: "x"},
				&providers.Job{Dir: dir})
			wantClass(t, err, tt.class, tt.msg)
			noLeftovers(t, dir)
		})
	}
}

// Credentials go to the configured host only: not to a link on another host, and not
// through a redirect that leaves it.
func TestCredentialsStayOnTheGateway(t *testing.T) {
	var got []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization")+r.Header.Get("x-goog-api-key"))
		w.Write(gatetest.PNG("x", 4, 4))
	}))
	defer other.Close()
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/chat/completions":
			w.Write([]byte(`{"choices":[{"message":{"content":"![image](` + "http://" + r.Host + `/redirect.png)"}}]}`))
		case "/redirect.png":
			if r.Header.Get("Authorization") != "Bearer "+testKey {
				t.Errorf("a link on the gateway's own host got no credentials")
			}
			http.Redirect(w, r, other.URL+"/img.png", http.StatusFound)
		}
	}))
	defer gw.Close()
	p, diags := build(t, `base_url = "`+gw.URL+`"`, map[string]string{KeyEnv: testKey})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if _, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Image, Model: "grok-4-image", Prompt: "x"},
		&providers.Job{Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "" {
		t.Errorf("the other host got credentials %q, want none", got)
	}
}

func TestTimeout(t *testing.T) {
	p, srv, _ := setup(t, gatetest.Options{Latency: 300 * time.Millisecond}, `
		timeout     = "50ms"
		max_retries = 1`)
	_, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Chat, Model: "deepseek-v3", Prompt: "Hi"},
		&providers.Job{Dir: t.TempDir()})
	wantClass(t, err, providers.Ambiguous, "did not answer within 50ms")
	if n := srv.Calls(gatetest.Chat); n != 2 {
		t.Errorf("calls = %d, want 2 (one retry)", n)
	}
}

// Requests that are not paid for (here the model list) retry 5xx up to max_retries.
func TestUnpaidRetries(t *testing.T) {
	p, srv, clock := setup(t, gatetest.Options{}, "max_retries = 3")
	srv.Script(gatetest.Models, gatetest.Reply{Status: 500}, gatetest.Reply{Status: 502}, gatetest.Reply{Status: 503}, gatetest.Reply{Status: 504})
	_, err := p.Models(context.Background())
	wantClass(t, err, providers.Retryable, "(HTTP 504)")
	if n := srv.Calls(gatetest.Models); n != 4 || len(clock.Sleeps()) != 3 {
		t.Errorf("calls = %d, waits = %d, want 4 and 3", n, len(clock.Sleeps()))
	}
}

func TestContextCanceled(t *testing.T) {
	p, _, _ := setup(t, gatetest.Options{Latency: 5 * time.Second}, "")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Generate(ctx, &providers.Request{Kind: providers.Chat, Model: "deepseek-v3", Prompt: "Hi"}, &providers.Job{Dir: t.TempDir()})
	if err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("err = %v after %v, want the context's error at once", err, time.Since(start))
	}
}

func TestDebugLog(t *testing.T) {
	srv := gatetest.New(gatetest.Options{Key: testKey})
	defer srv.Close()
	p, _ := build(t, `base_url = "`+srv.URL+`"`, map[string]string{KeyEnv: testKey, "GENFORM_LOG": "debug"})
	if p.log == nil {
		t.Fatal("GENFORM_LOG=debug did not turn the log on")
	}
	var buf bytes.Buffer
	p.SetLog(&buf)
	ref, _ := refFile(t, "big.png", 64, 64)
	ctx := context.Background()
	if _, err := p.Generate(ctx, &providers.Request{Kind: providers.Image, Model: "gemini-3-pro-image-preview", Prompt: "A fox", References: []providers.File{ref}},
		&providers.Job{Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Generate(ctx, &providers.Request{Kind: providers.Chat, Model: "deepseek-v3", Prompt: "Hi"},
		&providers.Job{Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	log := buf.String()
	for _, want := range []string{
		"POST " + srv.URL + "/v1beta/models/gemini-3-pro-image-preview:generateContent X-Goog-Api-Key: [redacted];",
		"POST " + srv.URL + "/v1/chat/completions Authorization: Bearer [redacted];",
		"base64 chars]", `"text":"A fox"`, "-> 200 OK",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, testKey) || strings.Contains(log, "iVBORw0KGgo") {
		t.Errorf("log holds the key or base64 data:\n%s", log)
	}
}

func TestModels(t *testing.T) {
	p, srv, _ := setup(t, gatetest.Options{Key: testKey}, "")
	ids, err := p.Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) < 10 || ids[0] != "dall-e-2" || !strings.HasPrefix(ids[len(ids)-1], "wisdom-ai") {
		t.Errorf("models = %v", ids)
	}
	r := only(t, srv, gatetest.Models)
	if r.Method != "GET" || r.Path != "/v1/models" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	wantAuth(t, r, true, false)
}

// A gateway host that does not resolve, or refuses connections, fails at once, naming the
// host: no retries, no waiting.
func TestUnreachableGatewayFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens there now: connections are refused
	tests := []struct {
		name, base string
		dns        *net.DNSError
		want       string
	}{
		{"no such host", "https://gateway.example.invalid", &net.DNSError{Err: "no such host", IsNotFound: true},
			`the gateway host "gateway.example.invalid" does not exist (DNS: no such host): check base_url`},
		{"no resolver", "https://gateway.example.invalid", &net.DNSError{Err: "server misbehaving", IsTemporary: true},
			`cannot look up the gateway host "gateway.example.invalid" (DNS: server misbehaving): check the network`},
		{"connection refused", "http://" + closed, nil,
			"the gateway host 127.0.0.1 refused the connection: nothing listens on port " + closed[strings.LastIndex(closed, ":")+1:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, diags := build(t, fmt.Sprintf("base_url = %q\nmax_retries = 5", tt.base), map[string]string{KeyEnv: testKey})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if tt.dns != nil { // the test sends no DNS query: the resolver's answer is faked
				p.dial = func(_ context.Context, network, addr string) (net.Conn, error) {
					host, _, _ := net.SplitHostPort(addr)
					e := *tt.dns
					e.Name = host
					return nil, &net.OpError{Op: "dial", Net: network, Err: &e}
				}
				p.SetParallelism(DefaultSlots)
			}
			clock := providers.NewFakeClock(time.Now())
			p.SetClock(clock)
			_, err := p.Models(context.Background())
			wantClass(t, err, providers.Permanent, tt.want)
			_, err = p.Generate(context.Background(), &providers.Request{Kind: providers.Chat, Model: "deepseek-v3", Prompt: "Hi"},
				&providers.Job{Dir: t.TempDir(), PossiblyCharged: func() error { t.Error("possibly charged"); return nil }})
			wantClass(t, err, providers.Permanent, tt.want)
			if n := len(clock.Sleeps()); n != 0 {
				t.Errorf("waited %d times before failing", n)
			}
		})
	}
}

// A 429 asking for a wait longer than genform waits says so, and when to try again.
func TestRetryAfterBeyondTheLimit(t *testing.T) {
	p, srv, _ := setup(t, gatetest.Options{}, "")
	srv.Script(gatetest.Chat, gatetest.Reply{Status: 429, Message: "slow down", RetryAfter: "3600"})
	_, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Chat, Model: "deepseek-v3", Prompt: "Hi"},
		&providers.Job{Dir: t.TempDir()})
	wantClass(t, err, providers.RateLimited, "slow down; the gateway asks to wait 1h0m0s (Retry-After), longer than genform waits for one request (15m0s in all): try again after ")
	if n := srv.Calls(gatetest.Chat); n != 1 {
		t.Errorf("sent %d times, want 1", n)
	}
}
