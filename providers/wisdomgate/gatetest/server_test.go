package gatetest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
)

func do(t *testing.T, method, url, key string, body io.Reader, ctype string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var obj map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &obj)
	return resp, obj
}

func chatBody(prompt string) io.Reader {
	return strings.NewReader(`{"model":"deepseek-v3","messages":[{"role":"user","content":"` + prompt + `"}]}`)
}

func TestAuthAndCounters(t *testing.T) {
	s := New(Options{Key: "good"})
	defer s.Close()
	resp, obj := do(t, "POST", s.URL+"/v1/chat/completions", "", chatBody("hi"), "application/json")
	if resp.StatusCode != 401 || !strings.Contains(jsonString(obj, "error", "message"), "API key") {
		t.Errorf("no key: %d %v", resp.StatusCode, obj)
	}
	resp, _ = do(t, "POST", s.URL+"/v1/chat/completions", "bad", chatBody("hi"), "application/json")
	if resp.StatusCode != 401 {
		t.Errorf("bad key: %d", resp.StatusCode)
	}
	resp, obj = do(t, "POST", s.URL+"/v1/chat/completions", "good", chatBody("hi"), "application/json")
	if resp.StatusCode != 200 || jsonString(obj, "object") != "chat.completion" {
		t.Errorf("good key: %d %v", resp.StatusCode, obj)
	}
	if s.Calls(Chat) != 3 || s.PromptCalls("hi") != 3 || s.Paid("hi") != 1 || len(s.Requests()) != 3 {
		t.Errorf("calls %d, prompt calls %d, paid %d, requests %d", s.Calls(Chat), s.PromptCalls("hi"), s.Paid("hi"), len(s.Requests()))
	}
	s.Reset()
	if s.Calls(Chat) != 0 || len(s.Requests()) != 0 {
		t.Errorf("Reset kept counters")
	}
}

func TestRateLimitAndScripts(t *testing.T) {
	s := New(Options{RateLimit: 1, Burst: 2})
	defer s.Close()
	var codes []int
	for range 3 {
		resp, _ := do(t, "GET", s.URL+"/v1/models", "k", nil, "")
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") != "1" {
			t.Errorf("Retry-After = %q, want 1", resp.Header.Get("Retry-After"))
		}
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 {
		t.Errorf("codes = %v, want 200 200 429", codes)
	}
	s.SetRateLimit(0, 0)
	s.Script(Models, Reply{Status: 503, RetryAfter: "4"}, Reply{Status: 200, Body: `{"data":[]}`})
	resp, obj := do(t, "GET", s.URL+"/v1/models", "k", nil, "")
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "4" || jsonString(obj, "error", "type") != "server_error" {
		t.Errorf("scripted 503: %d %v", resp.StatusCode, obj)
	}
	if _, obj = do(t, "GET", s.URL+"/v1/models", "k", nil, ""); len(obj["data"].([]any)) != 0 {
		t.Errorf("scripted body: %v", obj)
	}
	if _, obj = do(t, "GET", s.URL+"/v1/models", "k", nil, ""); len(obj["data"].([]any)) < 10 {
		t.Errorf("after the script: %v", obj)
	}
	s.SetFailureRate(1)
	if resp, _ = do(t, "GET", s.URL+"/v1/models", "k", nil, ""); resp.StatusCode != 500 {
		t.Errorf("failure rate 1: %d", resp.StatusCode)
	}
}

func TestVideoLifecycle(t *testing.T) {
	s := New(Options{VideoIDField: "task_id", VideoStatus: "processing", VideoPolls: 3, VideoSize: 5 << 30})
	defer s.Close()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("model", "sora-2-pro")
	mw.WriteField("prompt", "waves")
	mw.WriteField("seconds", "10")
	fw, _ := mw.CreateFormFile("input_reference", "ref.png")
	fw.Write(PNG("r", 2, 2))
	mw.Close()
	resp, obj := do(t, "POST", s.URL+"/v1/videos", "k", &b, mw.FormDataContentType())
	id := jsonString(obj, "task_id")
	if resp.StatusCode != 200 || id == "" || obj["id"] != nil {
		t.Fatalf("create: %d %v", resp.StatusCode, obj)
	}
	r := s.Requests()[0]
	if r.Fields["seconds"][0] != "10" || len(r.Files) != 1 || r.Files[0].Field != "input_reference" || r.Prompt != "waves" {
		t.Errorf("captured %+v", r)
	}
	var statuses []string
	for range 3 {
		_, obj = do(t, "GET", s.URL+"/v1/videos/"+id, "k", nil, "")
		statuses = append(statuses, jsonString(obj, "status"))
	}
	if strings.Join(statuses, ",") != "queued,processing,completed" || jsonString(obj, "meta_data", "url") == "" {
		t.Errorf("statuses %v, last %v", statuses, obj)
	}
	// a 5 GiB video is streamed: read its head only
	resp2, err := http.Get(jsonString(obj, "meta_data", "url"))
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 40)
	io.ReadFull(resp2.Body, head)
	resp2.Body.Close()
	if resp2.ContentLength != 5<<30 || string(head[4:8]) != "ftyp" || string(head[28:32]) != "mdat" {
		t.Errorf("video: length %d, head %q", resp2.ContentLength, head)
	}
	if resp, _ = do(t, "GET", s.URL+"/v1/videos/nope", "k", nil, ""); resp.StatusCode != 404 {
		t.Errorf("unknown video: %d", resp.StatusCode)
	}
}

func jsonString(obj map[string]any, path ...string) string {
	var v any = obj
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

// TestTurnarounds: a request on a connection that carried an answer before is timed from
// that answer; the first request of a connection is not.
func TestTurnarounds(t *testing.T) {
	s := New(Options{Key: "k"})
	defer s.Close()
	client := &http.Client{Transport: &http.Transport{}}
	post := func() {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/chat/completions", chatBody("hi"))
		req.Header.Set("Authorization", "Bearer k")
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	post()
	if got := s.Turnarounds(); len(got) != 0 {
		t.Fatalf("after a connection's first request: %v", got)
	}
	start := time.Now()
	time.Sleep(20 * time.Millisecond)
	post()
	post()
	got := s.Turnarounds()
	if len(got) != 2 || s.Conns() != 1 {
		t.Fatalf("3 requests on %d connection(s): turnarounds %v, want 2", s.Conns(), got)
	}
	if got[0] < 20*time.Millisecond || got[0] > time.Since(start) {
		t.Errorf("the client waited 20 ms before its second request; turnaround %v", got[0])
	}
	client.CloseIdleConnections()
	post() // a new connection: no turnaround
	if n := len(s.Turnarounds()); n != 2 || s.Conns() != 2 {
		t.Errorf("a new connection's first request: %d turnarounds on %d connections, want 2 on 2", n, s.Conns())
	}
}
