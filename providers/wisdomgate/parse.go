package wisdomgate

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/genform/genform/providers"
)

// This file reads the gateway's replies. Every function here is pure and total: any input
// gives a result or a clear error, never a panic (see the fuzz tests).

// chatReply is the part of a chat completion genform uses.
type chatReply struct {
	ID     string
	Text   string // the message content's text
	Images []string
	Finish string
	Usage  providers.Usage
}

// parseChat reads a chat completion.
func parseChat(body []byte) (*chatReply, error) {
	var raw struct {
		ID      string `json:"id"`
		Choices []struct {
			Message struct {
				Content json.RawMessage `json:"content"`
				Refusal *string         `json:"refusal"`
				Images  []struct {
					ImageURL json.RawMessage `json:"image_url"`
					URL      string          `json:"url"`
				} `json:"images"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage providers.Usage `json:"usage"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("the chat reply is not the JSON expected: %w", err)
	}
	if len(raw.Choices) == 0 {
		return nil, fmt.Errorf("the chat reply has no choices")
	}
	ch := raw.Choices[0]
	r := &chatReply{ID: raw.ID, Finish: ch.FinishReason, Usage: raw.Usage}
	text, parts := contentOf(ch.Message.Content)
	r.Text = text
	r.Images = append(r.Images, parts...)
	for _, im := range ch.Message.Images {
		if u := urlOf(im.ImageURL); u != "" {
			r.Images = append(r.Images, u)
		} else if im.URL != "" {
			r.Images = append(r.Images, im.URL)
		}
	}
	if r.Text == "" && len(r.Images) == 0 {
		switch {
		case ch.Message.Refusal != nil && *ch.Message.Refusal != "":
			return nil, fmt.Errorf("the model refused: %s", truncate(*ch.Message.Refusal, 300))
		case ch.FinishReason == "content_filter":
			return nil, fmt.Errorf("the reply was blocked by the content filter (finish_reason content_filter)")
		}
	}
	return r, nil
}

// contentOf reads a message content: a string, or an array of text and image_url parts.
func contentOf(raw json.RawMessage) (text string, images []string) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []struct {
		Type     string          `json:"type"`
		Text     string          `json:"text"`
		ImageURL json.RawMessage `json:"image_url"`
	}
	if json.Unmarshal(raw, &parts) != nil {
		return "", nil
	}
	var texts []string
	for _, p := range parts {
		switch p.Type {
		case "text":
			texts = append(texts, p.Text)
		case "image_url":
			if u := urlOf(p.ImageURL); u != "" {
				images = append(images, u)
			}
		}
	}
	return strings.Join(texts, "\n"), images
}

// urlOf reads an image_url: {"url": "..."} or a bare string.
func urlOf(raw json.RawMessage) string {
	var obj struct {
		URL string `json:"url"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.URL != "" {
		return obj.URL
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

// imageSource is where a reply's image is: a URL to download, or base64 bytes.
type imageSource struct {
	URL  string
	B64  string
	Mime string
}

var (
	mdImage  = regexp.MustCompile(`!\[[^\]]*\]\(\s*<?([^)\s>]+)>?`)
	dataURI  = regexp.MustCompile(`data:([a-zA-Z0-9.+-]+/[a-zA-Z0-9.+-]+)?(?:;[a-zA-Z0-9=.+-]+)*;base64,([A-Za-z0-9+/=_-]+)`)
	plainURL = regexp.MustCompile(`https?://[^\s)"'<>\]]+`)
)

// findImage finds the image in a chat reply, whichever way it came: message.images[], a
// {"mime_type","b64"} JSON content (or {"images":[...]}), a markdown image link (to a URL or
// a data: URI), a bare data: URI, or a bare http(s) URL.
func findImage(r *chatReply) (imageSource, error) {
	for _, u := range r.Images {
		if src, ok := sourceOf(u); ok {
			return src, nil
		}
	}
	text := strings.TrimSpace(r.Text)
	if src, ok := jsonImage(text); ok {
		return src, nil
	}
	if m := mdImage.FindStringSubmatch(text); m != nil {
		if src, ok := sourceOf(m[1]); ok {
			return src, nil
		}
	}
	if m := dataURI.FindStringSubmatch(text); m != nil {
		return imageSource{B64: m[2], Mime: m[1]}, nil
	}
	if u := plainURL.FindString(text); u != "" {
		return imageSource{URL: u}, nil
	}
	if text == "" {
		if r.Finish != "" && r.Finish != "stop" {
			return imageSource{}, fmt.Errorf("no image came back (finish_reason %s)", r.Finish)
		}
		return imageSource{}, fmt.Errorf("no image came back: the reply is empty")
	}
	return imageSource{}, fmt.Errorf("no image came back; the model said: %q", truncate(text, 300))
}

// sourceOf reads a URL that is either a data: URI or an http(s) link.
func sourceOf(u string) (imageSource, bool) {
	u = strings.TrimSpace(u)
	if strings.HasPrefix(u, "data:") {
		if m := dataURI.FindStringSubmatch(u); m != nil {
			return imageSource{B64: m[2], Mime: m[1]}, true
		}
		return imageSource{}, false
	}
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return imageSource{URL: u}, true
	}
	return imageSource{}, false
}

// jsonImage reads {"mime_type","b64"} (or {"images":[{...}]}) from content that is JSON or
// holds a JSON object among other text.
func jsonImage(text string) (imageSource, bool) {
	type payload struct {
		MimeType string `json:"mime_type"`
		B64      string `json:"b64"`
	}
	var obj struct {
		payload
		Images []payload `json:"images"`
	}
	try := func(s string) (imageSource, bool) {
		if json.Unmarshal([]byte(s), &obj) != nil {
			return imageSource{}, false
		}
		if obj.B64 != "" {
			return imageSource{B64: obj.B64, Mime: obj.MimeType}, true
		}
		for _, im := range obj.Images {
			if im.B64 != "" {
				return imageSource{B64: im.B64, Mime: im.MimeType}, true
			}
		}
		return imageSource{}, false
	}
	if !strings.Contains(text, `"b64"`) {
		return imageSource{}, false
	}
	if src, ok := try(text); ok {
		return src, true
	}
	start, end := strings.IndexByte(text, '{'), strings.LastIndexByte(text, '}')
	if start >= 0 && end > start {
		return try(text[start : end+1])
	}
	return imageSource{}, false
}

// videoStatus is a video job as the status endpoint describes it.
type videoStatus struct {
	ID       string
	Status   string // lower case
	Progress int    // 0-100, -1 when not given
	URL      string // meta_data.url
	Error    string // a failed job's message
	Seconds  float64
}

// Video job states as genform sees them.
const (
	videoRunning = iota
	videoCompleted
	videoFailed
)

// state classifies a status: completed and failed are terminal; queued, in_progress,
// processing and anything unknown mean the job is still running.
func (v *videoStatus) state() int {
	switch v.Status {
	case "completed":
		return videoCompleted
	case "failed":
		return videoFailed
	}
	return videoRunning
}

// parseVideo reads a video create or status reply: {"id"} or {"task_id"}, status, progress,
// meta_data.url, error (an object or a string), seconds (a string or a number). A reply
// wrapped in {"data": {...}} is unwrapped.
func parseVideo(body []byte) (*videoStatus, error) {
	var raw struct {
		ID       json.RawMessage `json:"id"`
		TaskID   json.RawMessage `json:"task_id"`
		Status   string          `json:"status"`
		Progress json.RawMessage `json:"progress"`
		MetaData *struct {
			URL string `json:"url"`
		} `json:"meta_data"`
		Error   json.RawMessage `json:"error"`
		Seconds json.RawMessage `json:"seconds"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("the video reply is not the JSON expected: %w", err)
	}
	if len(raw.ID) == 0 && len(raw.TaskID) == 0 && raw.Status == "" && len(raw.Data) > 0 && raw.Data[0] == '{' {
		return parseVideo(raw.Data)
	}
	v := &videoStatus{
		ID:       scalar(raw.ID),
		Status:   strings.ToLower(strings.TrimSpace(raw.Status)),
		Progress: -1,
	}
	if v.ID == "" {
		v.ID = scalar(raw.TaskID)
	}
	if p := strings.TrimSuffix(scalar(raw.Progress), "%"); p != "" {
		if f, err := strconv.ParseFloat(p, 64); err == nil && f >= 0 && f <= 100 {
			v.Progress = int(f)
		}
	}
	if raw.MetaData != nil {
		v.URL = strings.TrimSpace(raw.MetaData.URL)
	}
	if s := scalar(raw.Seconds); s != "" {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1e6 {
			v.Seconds = f
		}
	}
	var e struct {
		Message string `json:"message"`
		Code    any    `json:"code"`
	}
	switch {
	case json.Unmarshal(raw.Error, &e) == nil && e.Message != "":
		v.Error = e.Message
	case json.Unmarshal(raw.Error, &e) == nil && e.Code != nil:
		v.Error = fmt.Sprint(e.Code)
	default:
		v.Error = scalar(raw.Error)
	}
	v.Error = truncate(v.Error, 1000)
	if v.ID == "" {
		return nil, fmt.Errorf("the video reply has neither id nor task_id")
	}
	return v, nil
}

// scalar reads a JSON string or number as text; anything else is "".
func scalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// geminiReply is what genform takes from a generateContent reply.
type geminiReply struct {
	B64   string
	Mime  string
	Usage providers.Usage
}

// geminiBlob is an inline image part of a generateContent reply, in either spelling.
type geminiBlob struct {
	MimeType  string `json:"mimeType"`
	MimeType2 string `json:"mime_type"`
	Data      string `json:"data"`
}

// geminiRaw is what parseGemini reads of a generateContent reply.
type geminiRaw struct {
	Candidates []struct {
		Content struct {
			Parts []struct {
				Text        string      `json:"text"`
				Thought     bool        `json:"thought"`
				InlineData  *geminiBlob `json:"inlineData"`
				InlineData2 *geminiBlob `json:"inline_data"`
			} `json:"parts"`
		} `json:"content"`
		FinishReason  string `json:"finishReason"`
		FinishMessage string `json:"finishMessage"`
	} `json:"candidates"`
	PromptFeedback *struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback"`
	Usage *struct {
		Prompt     int64 `json:"promptTokenCount"`
		Candidates int64 `json:"candidatesTokenCount"`
		Total      int64 `json:"totalTokenCount"`
	} `json:"usageMetadata"`
}

// parseGemini finds the first image part (inlineData or inline_data, not a thought) of a
// generateContent reply, and says clearly why when there is none.
func parseGemini(body []byte) (*geminiReply, error) {
	var raw geminiRaw
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("the Gemini reply is not the JSON expected: %w", err)
	}
	r := &geminiReply{}
	if raw.Usage != nil {
		r.Usage = providers.Usage{PromptTokens: raw.Usage.Prompt, CompletionTokens: raw.Usage.Candidates, TotalTokens: raw.Usage.Total}
	}
	var texts, reasons []string
	for _, c := range raw.Candidates {
		for _, p := range c.Content.Parts {
			if p.Thought {
				continue
			}
			b := p.InlineData
			if b == nil {
				b = p.InlineData2
			}
			if b != nil {
				mt := b.MimeType
				if mt == "" {
					mt = b.MimeType2
				}
				if strings.HasPrefix(mt, "image/") && b.Data != "" {
					r.B64, r.Mime = b.Data, mt
					return r, nil
				}
			}
			if t := strings.TrimSpace(p.Text); t != "" {
				texts = append(texts, t)
			}
		}
		if c.FinishReason != "" && c.FinishReason != "STOP" {
			reasons = append(reasons, c.FinishReason)
		}
		if c.FinishMessage != "" {
			texts = append(texts, c.FinishMessage)
		}
	}
	if raw.PromptFeedback != nil && raw.PromptFeedback.BlockReason != "" {
		return nil, fmt.Errorf("the prompt was blocked (blockReason %s)", raw.PromptFeedback.BlockReason)
	}
	msg := "no image came back"
	if len(raw.Candidates) == 0 {
		msg += ": the reply has no candidates"
	}
	if len(reasons) > 0 {
		msg += " (finishReason " + strings.Join(reasons, ", ") + ")"
	}
	if len(texts) > 0 {
		msg += fmt.Sprintf("; the model said: %q", truncate(strings.Join(texts, " "), 300))
	}
	return nil, fmt.Errorf("%s", msg)
}
