package gatetest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"
)

// raw sends a request as bytes on a new connection and returns the first reply's status.
func raw(t *testing.T, base, request string) int {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestStrictByDefault(t *testing.T) {
	s := New(Options{Key: "k"})
	defer s.Close()
	host := strings.TrimPrefix(s.URL, "http://")
	body := `{"model":"deepseek-v3","messages":[{"role":"user","content":"hi"}]}`
	post := func(path, headers, body string) string {
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n%s\r\n%s", path, host, headers, body)
	}
	// sized sends body with its exact length, after the given header lines
	sized := func(path, headers, body string) string {
		return post(path, fmt.Sprintf("%sContent-Length: %d\r\n", headers, len(body)), body)
	}
	chunked := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
	form := func(fields ...string) (string, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for i := 0; i < len(fields); i += 2 {
			mw.WriteField(fields[i], fields[i+1])
		}
		mw.Close()
		return b.String(), mw.FormDataContentType()
	}
	videoForm, videoType := form("model", "sora-2", "prompt", "waves", "fps", "30")
	oddForm, oddType := form("model", "sora-2", "prompt", "waves", "frames_per_second", "30")
	tests := []struct {
		name, request string
		want          int
	}{
		{"a chunked body is refused with 411",
			post("/v1/chat/completions", "Authorization: Bearer k\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n", chunked), 411},
		{"the same body with its length is taken",
			post("/v1/chat/completions", fmt.Sprintf("Authorization: Bearer k\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", len(body)), body), 200},
		{"no Content-Type",
			post("/v1/chat/completions", fmt.Sprintf("Authorization: Bearer k\r\nContent-Length: %d\r\n", len(body)), body), 415},
		{"a form where JSON is wanted",
			post("/v1/chat/completions", fmt.Sprintf("Authorization: Bearer k\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n", len(body)), body), 415},
		{"a body longer than its Content-Length",
			post("/v1/chat/completions", fmt.Sprintf("Authorization: Bearer k\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", len(body)-5), body), 400},
		{"x-goog-api-key on an OpenAI-style path",
			post("/v1/chat/completions", fmt.Sprintf("x-goog-api-key: k\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", len(body)), body), 401},
		{"the bare key without Bearer",
			post("/v1/chat/completions", fmt.Sprintf("Authorization: k\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", len(body)), body), 401},
		{"Bearer on /v1beta",
			sized("/v1beta/models/gemini-2.5-flash-image:generateContent", "Authorization: Bearer k\r\nContent-Type: application/json\r\n",
				`{"contents":[{"parts":[{"text":"fox"}]}]}`), 401},
		{"x-goog-api-key on /v1beta",
			sized("/v1beta/models/gemini-2.5-flash-image:generateContent", "x-goog-api-key: k\r\nContent-Type: application/json\r\n", `{"contents":[{"parts":[{"text":"fox"}]}]}`), 200},
		{"an unknown chat field",
			sized("/v1/chat/completions", "Authorization: Bearer k\r\nContent-Type: application/json\r\n", `{"model":"deepseek-v3","messages":[{"role":"user","content":"hi"}],"temprature":0.5}`), 400},
		{"an unknown field in a message part",
			sized("/v1/chat/completions", "Authorization: Bearer k\r\nContent-Type: application/json\r\n", `{"model":"deepseek-v3","messages":[{"role":"user","content":[{"type":"text","text":"hi","colour":1}]}]}`), 400},
		{"Gemini in snake_case",
			sized("/v1beta/models/gemini-2.5-flash-image:generateContent", "x-goog-api-key: k\r\nContent-Type: application/json\r\n", `{"contents":[{"parts":[{"text":"fox"}]}],"generation_config":{"response_modalities":["IMAGE"],"image_config":{"aspect_ratio":"1:1"}}}`), 200},
		{"an unknown Gemini field",
			sized("/v1beta/models/gemini-2.5-flash-image:generateContent", "x-goog-api-key: k\r\nContent-Type: application/json\r\n", `{"contents":[{"parts":[{"text":"fox"}]}],"generationConfig":{"imageRatio":"1:1"}}`), 400},
		{"the older video form (000)",
			post("/v1/videos", fmt.Sprintf("Authorization: Bearer k\r\nContent-Type: %s\r\nContent-Length: %d\r\n", videoType, len(videoForm)), videoForm), 200},
		{"an unknown video form field",
			post("/v1/videos", fmt.Sprintf("Authorization: Bearer k\r\nContent-Type: %s\r\nContent-Length: %d\r\n", oddType, len(oddForm)), oddForm), 400},
		{"a form without its boundary",
			post("/v1/videos", fmt.Sprintf("Authorization: Bearer k\r\nContent-Type: multipart/form-data\r\nContent-Length: %d\r\n", len(videoForm)), videoForm), 400},
		{"the JSON variant of video create",
			sized("/v1/videos", "Authorization: Bearer k\r\nContent-Type: application/json\r\n", `{"model":"sora-2","prompt":"waves","input_reference":{"image_url":"https://x/a.png"}}`), 200},
		{"the JSON variant of image edits",
			sized("/v1/images/edits", "Authorization: Bearer k\r\nContent-Type: application/json\r\n", `{"model":"gpt-image-1","prompt":"hat","images":[{"image_url":"https://x/a.png"}]}`), 200},
		{"a GET with a body",
			"GET /v1/models HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer k\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := raw(t, s.URL, tt.request); got != tt.want {
				t.Errorf("status %d, want %d", got, tt.want)
			}
		})
	}
}

func TestShortBodyRefused(t *testing.T) {
	s := New(Options{Key: "k"})
	defer s.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	body := `{"model":"deepseek-v3","messages":[{"role":"user","content":"hi"}]}`
	fmt.Fprintf(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body)+10, body)
	conn.(*net.TCPConn).CloseWrite() // the promised 10 more bytes never come
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	conn.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "shorter than its Content-Length") {
		t.Errorf("%d %s", resp.StatusCode, b)
	}
	if s.Paid("hi") != 0 {
		t.Error("a cut-off request was answered as paid")
	}
}

func TestLenient(t *testing.T) {
	s := New(Options{Key: "k", Lenient: true})
	defer s.Close()
	host := strings.TrimPrefix(s.URL, "http://")
	body := `{"model":"deepseek-v3","messages":[{"role":"user","content":"hi"}],"anything":1}`
	chunked := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
	req := "POST /v1/chat/completions HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\nAuthorization: Bearer k\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked
	if got := raw(t, s.URL, req); got != 200 {
		t.Errorf("lenient: chunked body without Content-Type and with an unknown field: %d, want 200", got)
	}
	gem := `{"contents":[{"parts":[{"text":"fox"}]}]}`
	req = fmt.Sprintf("POST /v1beta/models/gemini-2.5-flash-image:generateContent HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nAuthorization: Bearer k\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", host, len(gem), gem)
	if got := raw(t, s.URL, req); got != 200 {
		t.Errorf("lenient: Bearer on /v1beta: %d, want 200", got)
	}
	r := s.Requests()[0]
	if r.ContentLength != -1 || len(r.TransferEncoding) != 1 || r.TransferEncoding[0] != "chunked" {
		t.Errorf("captured framing: length %d, transfer encoding %v", r.ContentLength, r.TransferEncoding)
	}
}
