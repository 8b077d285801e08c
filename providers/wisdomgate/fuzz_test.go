package wisdomgate

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/genform/genform/providers/wisdomgate/gatetest"
)

// Reply parsing must never panic, and every failure must be a clear error. Run longer with:
//
//	go test -run '^$' -fuzz FuzzChatReply -fuzztime 30s ./providers/wisdomgate/

var pngB64 = base64.StdEncoding.EncodeToString(gatetest.PNG("seed", 2, 2))

func FuzzChatReply(f *testing.F) {
	for _, content := range []string{
		`"![image](https://cdn.example/x.png)\n\n"`,
		`"![image](data:image/png;base64,` + pngB64 + `)"`,
		`"data:image/png;base64,` + pngB64 + `"`,
		`"{\"mime_type\":\"image/png\",\"b64\":\"` + pngB64 + `\"}"`,
		`"Sure! {\"images\":[{\"mime_type\":\"image/png\",\"b64\":\"` + pngB64 + `\"}]} done"`,
		`"Here: https://cdn.example/a.jpg"`,
		`[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]`,
		`null`, `""`, `"I can't help with that."`, `42`,
	} {
		f.Add(`{"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":` + content + `},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`)
	}
	f.Add(`{"choices":[{"message":{"content":"","images":[{"type":"image_url","image_url":{"url":"data:image/png;base64,` + pngB64 + `"}}]}}]}`)
	f.Add(`{"choices":[{"message":{"content":null,"refusal":"no"},"finish_reason":"content_filter"}]}`)
	f.Add(`{"choices":[]}`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, body string) {
		r, err := parseChat([]byte(body))
		if err != nil {
			clearError(t, err)
			return
		}
		src, err := findImage(r)
		if err != nil {
			clearError(t, err)
			return
		}
		switch {
		case src.URL != "":
			if !strings.HasPrefix(src.URL, "http://") && !strings.HasPrefix(src.URL, "https://") {
				t.Errorf("image URL %q is not http(s)", src.URL)
			}
		case src.B64 == "":
			t.Errorf("findImage found nothing and reported no error")
		}
	})
}

func FuzzFindImageContent(f *testing.F) {
	for _, s := range []string{
		"![image](https://xl-files.oss-cn-chengdu.aliyuncs.com/gemini_business/xxx.png)\n\n",
		"![](data:image/webp;base64,UklGRg==)",
		`{"mime_type":"image/png","b64":"` + pngB64 + `"}`,
		"```json\n{\"mime_type\":\"image/jpeg\",\"b64\":\"/9j/4AAQ\"}\n```",
		"data:image/png;base64,",
		"![x](<https://a.b/c.png>)",
		"![x](javascript:alert(1))",
		"{\"b64\":",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		src, err := findImage(&chatReply{Text: content})
		if err != nil {
			clearError(t, err)
			return
		}
		if src.URL == "" && src.B64 == "" {
			t.Errorf("no source and no error for %q", content)
		}
		if src.URL != "" && !strings.HasPrefix(src.URL, "http") {
			t.Errorf("URL %q is not http(s)", src.URL)
		}
		if src.B64 != "" {
			// decoding may fail, but must not panic
			buf := make([]byte, 512)
			base64Reader(src.B64).Read(buf)
		}
	})
}

func FuzzVideoStatus(f *testing.F) {
	for _, s := range []string{
		`{"task_id":"abc123-def456-ghi789"}`,
		`{"id":"video_68e688d4950481918ec3","object":"video","model":"sora-2","status":"in_progress","progress":42,"created_at":1759938772,"completed_at":null,"expires_at":null,"prompt":"A cat","size":"1280x720","seconds":"8","remixed_from_video_id":null,"error":null}`,
		`{"id":"v","status":"completed","progress":100,"meta_data":{"url":"https://cdn/v.mp4"},"expires_at":1759942372}`,
		`{"id":"v","status":"failed","error":{"code":"moderation_blocked","message":"blocked"}}`,
		`{"task_id":"t","status":"processing","progress":"55%"}`,
		`{"id":"v","status":"FAILED","error":"quota"}`,
		`{"data":{"id":"v","status":"queued"}}`,
		`{"id":12345,"status":"queued","seconds":8}`,
		`{"status":"queued"}`,
		`[]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		v, err := parseVideo([]byte(body))
		if err != nil {
			clearError(t, err)
			return
		}
		if v.ID == "" {
			t.Errorf("a status with no id was accepted")
		}
		if v.Progress < -1 || v.Progress > 100 {
			t.Errorf("progress %d out of range", v.Progress)
		}
		if st := v.state(); st == videoFailed && v.Status != "failed" || st == videoCompleted && v.Status != "completed" {
			t.Errorf("status %q classified as %d", v.Status, st)
		}
	})
}

func FuzzGeminiReply(f *testing.F) {
	for _, s := range []string{
		`{"candidates":[{"content":{"role":"model","parts":[{"text":"Here is your fox."},{"inlineData":{"mimeType":"image/png","data":"` + pngB64 + `"}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":1290,"totalTokenCount":1295}}`,
		`{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"AAAA"},"thought":true},{"inline_data":{"mime_type":"image/jpeg","data":"/9j/"}}]}}]}`,
		`{"promptFeedback":{"blockReason":"SAFETY"}}`,
		`{"candidates":[{"content":{"parts":[{"text":"I can't"}]},"finishReason":"IMAGE_SAFETY"}]}`,
		`{"candidates":[{"finishReason":"NO_IMAGE","finishMessage":"none"}]}`,
		`{"candidates":null}`,
		`{}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r, err := parseGemini([]byte(body))
		if err != nil {
			clearError(t, err)
			return
		}
		if r.B64 == "" || !strings.HasPrefix(r.Mime, "image/") {
			t.Errorf("accepted a reply without an image: %+v", r)
		}
	})
}

// clearError checks an error reads as a sentence a user can act on.
func clearError(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if len(msg) < 10 || len(msg) > 2000 {
		t.Errorf("unclear error (%d bytes): %q", len(msg), msg)
	}
	if !utf8.ValidString(msg) {
		t.Errorf("error is not valid UTF-8: %q", msg)
	}
}
