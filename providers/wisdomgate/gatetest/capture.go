package gatetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
)

// Request is one request the fake received, as tests compare it.
type Request struct {
	Endpoint    Endpoint
	Method      string
	Proto       string // "HTTP/1.1", "HTTP/2.0"
	Path        string
	Query       string
	Header      http.Header
	ContentType string // the media type, without parameters
	// ContentLength is the declared length of the body, -1 when it was not declared;
	// TransferEncoding holds "chunked" for a chunked body.
	ContentLength    int64
	TransferEncoding []string
	// JSON is the decoded JSON body, with every base64 payload (base64 of image or video
	// bytes, any base64 string of 256 characters or more, or a data: URI) replaced by its
	// Summarize form. Nil for other bodies.
	JSON any
	// Fields and Files are a multipart body's parts, in order of arrival per name.
	Fields map[string][]string
	Files  []File
	Model  string // the model the request names
	Prompt string // the generation prompt, when the endpoint has one
}

// File is one file part of a multipart request.
type File struct {
	Field       string // "image", "image[]", "mask", "input_reference"
	Filename    string
	ContentType string
	Size        int64
	SHA256      string // hex
}

// Summarize is how captured requests show the bytes of a base64 payload.
func Summarize(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("base64:%d bytes sha256:%s", len(b), hex.EncodeToString(sum[:8]))
}

const maxBody = 1 << 30

// capture reads the whole request body into a Request.
func capture(ep Endpoint, r *http.Request) (Request, error) {
	req := Request{
		Endpoint: ep,
		Method:   r.Method,
		Proto:    r.Proto,
		Path:     r.URL.Path,
		Query:    r.URL.RawQuery,
		Header:   r.Header.Clone(),
	}
	if ep == Gemini {
		req.Model = geminiModel(r.URL.Path)
	}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	req.ContentType = mt
	switch {
	case r.Body == nil || r.Method == http.MethodGet:
		return req, nil
	case mt == "multipart/form-data":
		req.Fields = map[string][]string{}
		mr := multipart.NewReader(io.LimitReader(r.Body, maxBody), params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return req, err
			}
			if p.FileName() == "" {
				b, err := io.ReadAll(p)
				if err != nil {
					return req, err
				}
				req.Fields[p.FormName()] = append(req.Fields[p.FormName()], string(b))
				continue
			}
			h := sha256.New()
			n, err := io.Copy(h, p)
			if err != nil {
				return req, err
			}
			req.Files = append(req.Files, File{
				Field: p.FormName(), Filename: p.FileName(), ContentType: p.Header.Get("Content-Type"),
				Size: n, SHA256: hex.EncodeToString(h.Sum(nil)),
			})
		}
		req.Model = first(req.Fields["model"])
		req.Prompt = first(req.Fields["prompt"])
	default:
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			return req, err
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return req, nil
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return req, fmt.Errorf("the body is not JSON: %w", err)
		}
		req.JSON = summarize(v)
		obj, _ := v.(map[string]any)
		if m, ok := obj["model"].(string); ok {
			req.Model = m
		}
		req.Prompt = promptOf(ep, obj)
	}
	return req, nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// summarize replaces base64 payloads in a decoded JSON value.
func summarize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = summarize(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = summarize(e)
		}
		return x
	case string:
		if rest, ok := strings.CutPrefix(x, "data:"); ok {
			if i := strings.Index(rest, ";base64,"); i >= 0 {
				if b, err := base64.StdEncoding.DecodeString(rest[i+8:]); err == nil {
					return "data:" + rest[:i] + ";base64," + Summarize(b)
				}
			}
		}
		if len(x) >= 16 {
			if b, err := base64.StdEncoding.DecodeString(x); err == nil && (len(x) >= 256 || isMedia(b)) {
				return Summarize(b)
			}
		}
	}
	return v
}

// isMedia tells whether bytes start like an image or a video.
func isMedia(b []byte) bool {
	for _, magic := range []string{"\x89PNG", "\xff\xd8\xff", "GIF8", "RIFF"} {
		if strings.HasPrefix(string(b), magic) {
			return true
		}
	}
	return len(b) >= 8 && string(b[4:8]) == "ftyp"
}

// promptOf finds the generation prompt in a JSON body.
func promptOf(ep Endpoint, obj map[string]any) string {
	switch ep {
	case Chat:
		msgs, _ := obj["messages"].([]any)
		for i := len(msgs) - 1; i >= 0; i-- {
			m, _ := msgs[i].(map[string]any)
			if m["role"] == "user" {
				return textOf(m["content"])
			}
		}
	case Gemini:
		contents, _ := obj["contents"].([]any)
		if len(contents) == 0 {
			return ""
		}
		c, _ := contents[len(contents)-1].(map[string]any)
		parts, _ := c["parts"].([]any)
		var texts []string
		for _, p := range parts {
			if pm, ok := p.(map[string]any); ok {
				if t, ok := pm["text"].(string); ok {
					texts = append(texts, t)
				}
			}
		}
		return strings.Join(texts, "\n")
	case ImagesGenerations, VideosCreate:
		p, _ := obj["prompt"].(string)
		return p
	}
	return ""
}

// textOf reads a chat message content: a string, or the text of its parts.
func textOf(c any) string {
	switch x := c.(type) {
	case string:
		return x
	case []any:
		var texts []string
		for _, p := range x {
			if pm, ok := p.(map[string]any); ok && pm["type"] == "text" {
				if t, ok := pm["text"].(string); ok {
					texts = append(texts, t)
				}
			}
		}
		return strings.Join(texts, "\n")
	}
	return ""
}

func geminiModel(path string) string {
	rest, ok := strings.CutPrefix(path, "/v1beta/models/")
	if !ok {
		return ""
	}
	model, _, _ := strings.Cut(rest, ":")
	return model
}
