package gatetest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

type handler func(w http.ResponseWriter, r *http.Request, req *Request)

// route maps a request to its endpoint and handler.
func (s *Server) route(r *http.Request) (Endpoint, handler) {
	p := r.URL.Path
	get, post := r.Method == http.MethodGet, r.Method == http.MethodPost
	switch {
	case get && p == "/v1/models":
		return Models, s.handleModels
	case post && p == "/v1/chat/completions":
		return Chat, s.handleChat
	case post && strings.HasPrefix(p, "/v1beta/models/") && strings.HasSuffix(p, ":generateContent"):
		return Gemini, s.handleGemini
	case post && p == "/v1/images/generations":
		return ImagesGenerations, s.handleImages
	case post && p == "/v1/images/edits":
		return ImagesEdits, s.handleEdits
	case post && (p == "/v1/videos" || p == "/v1/video"):
		return VideosCreate, s.handleVideoCreate
	case get && (strings.HasPrefix(p, "/v1/videos/") || strings.HasPrefix(p, "/v1/video/")):
		rest := strings.TrimPrefix(strings.TrimPrefix(p, "/v1/videos/"), "/v1/video/")
		if id, ok := strings.CutSuffix(rest, "/content"); ok && id != "" && !strings.Contains(id, "/") {
			return VideosContent, func(w http.ResponseWriter, r *http.Request, _ *Request) { s.handleVideoContent(w, r, id) }
		}
		if rest != "" && !strings.Contains(rest, "/") {
			return VideosGet, func(w http.ResponseWriter, r *http.Request, _ *Request) { s.handleVideoGet(w, rest) }
		}
	}
	return Unknown, nil
}

func (s *Server) handleModels(w http.ResponseWriter, _ *http.Request, _ *Request) {
	s.mu.Lock()
	ids := append([]string(nil), s.modelList...)
	s.mu.Unlock()
	data := make([]any, 0, len(ids))
	for _, id := range ids {
		data = append(data, map[string]any{
			"id": id, "object": "model", "created": 1626777600, "owned_by": "wisdom-gate",
			"supported_endpoint_types": []string{"openai"},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

func (s *Server) markPaid(prompt string) {
	s.mu.Lock()
	s.paid[prompt]++
	s.mu.Unlock()
}

// The Gemini image values of the documents.
var (
	geminiRatios = []string{"1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"}
	geminiSizes  = []string{"1K", "2K", "4K"}
)

func isImageModel(model string) bool {
	return strings.Contains(model, "image") || strings.HasPrefix(model, "dall-e")
}

func (s *Server) handleChat(w http.ResponseWriter, _ *http.Request, req *Request) {
	obj, _ := req.JSON.(map[string]any)
	if msgs, _ := obj["messages"].([]any); len(msgs) == 0 {
		writeError(w, http.StatusBadRequest, "'messages' is a required property", "invalid_request_error", nil)
		return
	}
	if req.Model == "" {
		writeError(w, http.StatusBadRequest, "you must provide a model parameter", "invalid_request_error", nil)
		return
	}
	if strings.Contains(req.Prompt, "[fail]") {
		writeError(w, http.StatusBadRequest, "The prompt was rejected by the fake gateway.", "invalid_request_error", nil)
		return
	}
	msg := map[string]any{"role": "assistant", "refusal": nil}
	usage := map[string]any{"prompt_tokens": words(req.Prompt), "completion_tokens": 0, "total_tokens": 0}
	cfg, hasCfg := obj["image_config"].(map[string]any)
	if !hasCfg && !isImageModel(req.Model) {
		reply := "Reply to: " + req.Prompt
		msg["content"] = reply
		usage["completion_tokens"] = words(reply)
	} else {
		ratio, _ := cfg["aspect_ratio"].(string)
		size, _ := cfg["image_size"].(string)
		if ratio != "" && !slices.Contains(geminiRatios, ratio) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Invalid aspect_ratio %q", ratio), "invalid_request_error", nil)
			return
		}
		if size != "" && !slices.Contains(geminiSizes, size) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Invalid image_size %q: use 1K, 2K or 4K", size), "invalid_request_error", nil)
			return
		}
		if strings.Contains(req.Prompt, "[block]") {
			msg["content"] = "I can't generate that image."
		} else {
			wd, ht := ratioDims(ratio)
			img := makePNG(req.Prompt, wd, ht)
			s.mu.Lock()
			variant := s.opts.ChatImageReply
			s.mu.Unlock()
			dataURI := "data:image/png;base64," + base64.StdEncoding.EncodeToString(img)
			switch variant {
			case ReplyData:
				msg["content"] = "![image](" + dataURI + ")"
			case ReplyJSON:
				msg["content"] = `{"mime_type":"image/png","b64":"` + base64.StdEncoding.EncodeToString(img) + `"}`
			case ReplyImages:
				msg["content"] = ""
				msg["images"] = []any{map[string]any{"type": "image_url", "image_url": map[string]any{"url": dataURI}}}
			default:
				msg["content"] = "![image](" + s.putBlob("png", img) + ")\n\n"
			}
		}
		usage["completion_tokens"] = 1290
	}
	usage["total_tokens"] = usage["prompt_tokens"].(int) + usage["completion_tokens"].(int)
	s.markPaid(req.Prompt)
	writeJSON(w, http.StatusOK, map[string]any{
		"id": "chatcmpl-fake", "object": "chat.completion", "created": time.Now().Unix(), "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": "stop"}},
		"usage":   usage,
	})
}

func (s *Server) handleGemini(w http.ResponseWriter, _ *http.Request, req *Request) {
	obj, _ := req.JSON.(map[string]any)
	if contents, _ := obj["contents"].([]any); len(contents) == 0 {
		writeGeminiError(w, http.StatusBadRequest, "* GenerateContentRequest.contents: contents is not specified", "INVALID_ARGUMENT")
		return
	}
	gc, _ := obj["generationConfig"].(map[string]any)
	ic, _ := gc["imageConfig"].(map[string]any)
	ratio, _ := ic["aspectRatio"].(string)
	size, _ := ic["imageSize"].(string)
	sizes := geminiSizes
	switch req.Model {
	case "gemini-2.5-flash-image":
		sizes = []string{"1K", "2K"}
	case "gemini-3.1-flash-image-preview":
		sizes = []string{"0.5K", "1K", "2K", "4K"}
	}
	switch {
	case ratio != "" && !slices.Contains(geminiRatios, ratio):
		writeGeminiError(w, http.StatusBadRequest, fmt.Sprintf("Unsupported aspect ratio: %s", ratio), "INVALID_ARGUMENT")
		return
	case size != "" && !slices.Contains(sizes, size):
		writeGeminiError(w, http.StatusBadRequest, fmt.Sprintf("Unsupported image size: %s", size), "INVALID_ARGUMENT")
		return
	case strings.Contains(req.Prompt, "[fail]"):
		writeGeminiError(w, http.StatusBadRequest, "The prompt was rejected by the fake gateway.", "INVALID_ARGUMENT")
		return
	}
	usage := map[string]any{"promptTokenCount": words(req.Prompt), "candidatesTokenCount": 1290, "totalTokenCount": words(req.Prompt) + 1290}
	if strings.Contains(req.Prompt, "[block]") {
		writeJSON(w, http.StatusOK, map[string]any{
			"promptFeedback": map[string]any{"blockReason": "SAFETY"},
			"usageMetadata":  usage,
		})
		return
	}
	modalities, _ := gc["responseModalities"].([]any)
	parts := []any{map[string]any{"text": "Planning the composition.", "thought": true}}
	if slices.Contains(modalities, any("IMAGE")) {
		wd, ht := ratioDims(ratio)
		parts = append(parts,
			map[string]any{"inlineData": map[string]any{"mimeType": "image/png", "data": base64.StdEncoding.EncodeToString(makePNG("thought", 2, 2))}, "thought": true},
			map[string]any{"text": "Here is your image."},
			map[string]any{"inlineData": map[string]any{"mimeType": "image/png", "data": base64.StdEncoding.EncodeToString(makePNG(req.Prompt, wd, ht))}},
		)
	} else {
		parts = append(parts, map[string]any{"text": "Reply to: " + req.Prompt})
	}
	s.markPaid(req.Prompt)
	writeJSON(w, http.StatusOK, map[string]any{
		"candidates": []any{map[string]any{
			"content":      map[string]any{"role": "model", "parts": parts},
			"finishReason": "STOP", "index": 0,
		}},
		"usageMetadata": usage,
		"modelVersion":  req.Model,
	})
}

// imageSizes are the images API sizes per model, from the documents.
var imageSizes = map[string][]string{
	"gpt-image-2": {"1024x1024", "1536x1024", "1024x1536", "auto"},
	"gpt-image-1": {"1024x1024", "1536x1024", "1024x1536", "auto"},
	"dall-e-3":    {"1024x1024", "1792x1024", "1024x1792"},
	"dall-e-2":    {"256x256", "512x512", "1024x1024"},
}

func (s *Server) handleImages(w http.ResponseWriter, _ *http.Request, req *Request) {
	obj, _ := req.JSON.(map[string]any)
	str := func(k string) string { v, _ := obj[k].(string); return v }
	s.answerImages(w, req, str("model"), str("size"), str("response_format"), str("output_format"))
}

func (s *Server) handleEdits(w http.ResponseWriter, _ *http.Request, req *Request) {
	images := 0
	field := func(k string) string { return first(req.Fields[k]) }
	switch req.ContentType {
	case "multipart/form-data":
		for _, f := range req.Files {
			if f.Field == "image" || f.Field == "image[]" {
				images++
			}
		}
	case "application/json": // EditImageBodyJsonParam: images as [{image_url} or {file_id}]
		obj, _ := req.JSON.(map[string]any)
		list, _ := obj["images"].([]any)
		images = len(list)
		field = func(k string) string { v, _ := obj[k].(string); return v }
	default:
		writeError(w, http.StatusBadRequest, "Invalid Content-Type header: use multipart/form-data", "invalid_request_error", nil)
		return
	}
	model := field("model")
	switch {
	case images == 0:
		writeError(w, http.StatusBadRequest, "Missing required parameter: 'image'.", "invalid_request_error", nil)
		return
	case model == "dall-e-3":
		writeError(w, http.StatusBadRequest, "Invalid model dall-e-3: image edits are not supported.", "invalid_request_error", nil)
		return
	case images > 16:
		writeError(w, http.StatusBadRequest, "Too many images: at most 16.", "invalid_request_error", nil)
		return
	}
	req.Prompt = field("prompt")
	s.answerImages(w, req, model, field("size"), field("response_format"), field("output_format"))
}

// answerImages writes an ImagesResponse for the images API.
func (s *Server) answerImages(w http.ResponseWriter, req *Request, model, size, format, outFormat string) {
	if model == "" {
		model = "dall-e-2"
	}
	gptImage := strings.HasPrefix(model, "gpt-image")
	switch {
	case req.Prompt == "":
		writeError(w, http.StatusBadRequest, "Missing required parameter: 'prompt'.", "invalid_request_error", nil)
		return
	case size != "" && imageSizes[model] != nil && !slices.Contains(imageSizes[model], size):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Invalid value: '%s'. Supported values are: %s.", size, strings.Join(imageSizes[model], ", ")), "invalid_request_error", nil)
		return
	case gptImage && format != "":
		writeError(w, http.StatusBadRequest, "Unknown parameter: 'response_format'.", "invalid_request_error", nil)
		return
	case strings.Contains(req.Prompt, "[block]"):
		writeError(w, http.StatusBadRequest, "Your request was rejected as a result of our safety system.", "invalid_request_error", "content_policy_violation")
		return
	case strings.Contains(req.Prompt, "[fail]"):
		writeError(w, http.StatusBadRequest, "The prompt was rejected by the fake gateway.", "invalid_request_error", nil)
		return
	}
	wd, ht := sizeDims(size)
	img, ext := makePNG(req.Prompt, wd, ht), "png"
	if outFormat == "jpeg" {
		img, ext = makeJPEG(req.Prompt, wd, ht), "jpg"
	}
	item := map[string]any{}
	if gptImage || format == "b64_json" {
		item["b64_json"] = base64.StdEncoding.EncodeToString(img)
	} else {
		item["url"] = s.putBlob(ext, img)
	}
	if model == "dall-e-3" {
		item["revised_prompt"] = "A detailed rendering of " + req.Prompt
	}
	resp := map[string]any{"created": time.Now().Unix(), "data": []any{item}}
	if gptImage {
		resp["usage"] = map[string]any{"input_tokens": words(req.Prompt), "output_tokens": 1056, "total_tokens": words(req.Prompt) + 1056}
	}
	s.markPaid(req.Prompt)
	writeJSON(w, http.StatusOK, resp)
}

// putBlob stores bytes on the files host and returns their URL.
func (s *Server) putBlob(ext string, b []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blobSeq++
	name := fmt.Sprintf("img-%d.%s", s.blobSeq, ext)
	s.blobs[name] = b
	return s.FilesURL + "/files/" + name
}

func words(s string) int { return len(strings.Fields(s)) }
