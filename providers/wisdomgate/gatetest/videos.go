package gatetest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// video is one job of the fake.
type video struct {
	id, model, prompt, seconds, size string
	created                          time.Time
	polls                            int
	fail                             bool
	bytes                            int64
}

func (s *Server) handleVideoCreate(w http.ResponseWriter, _ *http.Request, req *Request) {
	field := func(k string) string {
		if req.Fields != nil {
			return first(req.Fields[k])
		}
		obj, _ := req.JSON.(map[string]any)
		switch v := obj[k].(type) {
		case string:
			return v
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		return ""
	}
	prompt := field("prompt")
	switch {
	case prompt == "":
		writeError(w, http.StatusBadRequest, "Missing required parameter: 'prompt'.", "invalid_request_error", nil)
		return
	case len([]rune(prompt)) > 32000:
		writeError(w, http.StatusBadRequest, "Invalid 'prompt': string too long. Expected a string with maximum length 32000.", "invalid_request_error", nil)
		return
	}
	model := field("model")
	if model == "" {
		model = "sora-2"
	}
	seconds := field("seconds")
	if seconds == "" {
		seconds = "4"
	}
	size := field("size")
	if size == "" {
		size = "720x1280"
	}
	s.mu.Lock()
	s.videoSeq++
	v := &video{
		model: model, prompt: prompt, seconds: seconds, size: size, created: time.Now(),
		fail: strings.Contains(prompt, "[fail]"), bytes: s.opts.VideoSize,
	}
	idField := s.opts.VideoIDField
	if idField == "task_id" {
		v.id = fmt.Sprintf("task-%06d", s.videoSeq)
	} else {
		v.id = fmt.Sprintf("video_%06d", s.videoSeq)
	}
	s.videos[v.id] = v
	s.paid[prompt]++
	s.mu.Unlock()
	if idField == "task_id" {
		writeJSON(w, http.StatusOK, map[string]any{"task_id": v.id})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": v.id, "object": "video", "model": model, "status": "queued", "progress": 0,
		"created_at": v.created.Unix(), "completed_at": nil, "expires_at": nil, "prompt": prompt,
		"size": size, "seconds": seconds, "remixed_from_video_id": nil, "error": nil,
	})
}

// status advances a job by one poll and returns its status object.
func (s *Server) status(v *video) map[string]any {
	o := s.opts
	v.polls++
	progress := min(100, v.polls*100/o.VideoPolls)
	obj := map[string]any{
		"object": "video", "model": v.model, "created_at": v.created.Unix(), "prompt": v.prompt,
		"size": v.size, "seconds": v.seconds, "remixed_from_video_id": nil, "error": nil,
		"completed_at": nil, "expires_at": nil,
	}
	if o.VideoIDField == "task_id" {
		obj["task_id"] = v.id
	} else {
		obj["id"] = v.id
	}
	done := v.polls >= o.VideoPolls && time.Since(v.created) >= o.VideoRenderTime
	switch {
	case v.fail && v.polls >= 2:
		obj["status"], obj["progress"] = "failed", progress
		obj["error"] = map[string]any{"code": "moderation_blocked", "message": "Your request was blocked by our moderation system."}
	case done:
		obj["status"], obj["progress"] = "completed", 100
		obj["completed_at"] = time.Now().Unix()
		obj["expires_at"] = time.Now().Add(time.Hour).Unix()
		if o.VideoDownload == DownloadMeta {
			obj["meta_data"] = map[string]any{"url": s.FilesURL + "/files/videos/" + v.id + ".mp4"}
		}
	case v.polls == 1:
		obj["status"], obj["progress"] = "queued", 0
	default:
		obj["status"], obj["progress"] = o.VideoStatus, min(progress, 99)
	}
	return obj
}

func (s *Server) handleVideoGet(w http.ResponseWriter, id string) {
	s.mu.Lock()
	v := s.videos[id]
	var obj map[string]any
	if v != nil {
		obj = s.status(v)
	}
	s.mu.Unlock()
	if v == nil {
		writeError(w, http.StatusNotFound, "Video '"+id+"' not found.", "invalid_request_error", "not_found")
		return
	}
	writeJSON(w, http.StatusOK, obj)
}

func (s *Server) handleVideoContent(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	v := s.videos[id]
	var ready bool
	var size int64
	if v != nil {
		ready = !v.fail && v.polls >= s.opts.VideoPolls && time.Since(v.created) >= s.opts.VideoRenderTime
		size = v.bytes
	}
	redirect := s.opts.VideoDownload == DownloadRedirect
	s.mu.Unlock()
	switch {
	case v == nil:
		writeError(w, http.StatusNotFound, "Video '"+id+"' not found.", "invalid_request_error", "not_found")
	case !ready:
		writeError(w, http.StatusBadRequest, "Video '"+id+"' is not ready: its status is not completed.", "invalid_request_error", nil)
	case redirect:
		http.Redirect(w, r, s.FilesURL+"/files/videos/"+id+".mp4", http.StatusFound)
	default:
		serveMP4(w, r, id, size)
	}
}

// serveFiles is the files host: generated images by name, and videos streamed by job id.
func (s *Server) serveFiles(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls[Files]++
	for _, h := range []string{"Authorization", "X-Goog-Api-Key"} {
		if v := r.Header.Get(h); v != "" {
			s.creds = append(s.creds, h+": "+v)
		}
	}
	s.requests = append(s.requests, Request{Endpoint: Files, Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()})
	name := strings.TrimPrefix(r.URL.Path, "/files/")
	blob, ok := s.blobs[name]
	delay := s.opts.FilesLatency
	var size int64
	if id, isVideo := strings.CutSuffix(strings.TrimPrefix(name, "videos/"), ".mp4"); isVideo && strings.HasPrefix(name, "videos/") {
		if v := s.videos[id]; v != nil {
			size = v.bytes
		}
	}
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case ok:
		w.Header().Set("Content-Type", http.DetectContentType(blob))
		w.Header().Set("Content-Length", strconv.Itoa(len(blob)))
		w.Write(blob)
	case size > 0:
		serveMP4(w, r, name, size)
	default:
		http.NotFound(w, r)
	}
}
