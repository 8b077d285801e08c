package gatetest

import (
	"fmt"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// The fake is strict by default: it refuses what the strictest server a user may put in front
// of the gateway refuses (Python's http.server, proxies and serverless front ends that do not
// take chunked request bodies, the vendors' own APIs that reject unknown parameters). Options
// Lenient turns these checks off for tests that need a forgiving server.
//
//   - A request body must come with an exact Content-Length: a chunked body is answered 411,
//     a body shorter than its declared length 400 (a longer one leaves bytes that the server
//     reads as a malformed next request, which net/http answers 400 and closes).
//   - A body must have the Content-Type of its endpoint (application/json, or
//     multipart/form-data with a boundary where the documents allow a form): 415 otherwise.
//   - The key must come in the header of its path: Authorization: Bearer on the OpenAI-style
//     paths, x-goog-api-key on /v1beta, and not in the other header as well: 401 otherwise.
//   - Every JSON key and form field must be one the documents define for the endpoint: 400
//     "Unrecognized request argument" otherwise. Where the documents disagree, every variant
//     they show is accepted (see fields.go).

// framing checks how a request body is delimited and typed. It runs before the body is read.
func (s *Server) framing(w http.ResponseWriter, r *http.Request, ep Endpoint) bool {
	chunked := slices.Contains(r.TransferEncoding, "chunked")
	if r.Method == http.MethodGet {
		if chunked || r.ContentLength > 0 {
			writeError(w, http.StatusBadRequest, "A GET request must not have a body.", "invalid_request_error", nil)
			return false
		}
		return true
	}
	if chunked || r.ContentLength < 0 {
		writeError(w, http.StatusLengthRequired,
			"A Content-Length header is required: chunked request bodies are not accepted.", "invalid_request_error", nil)
		return false
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	want := contentTypes[ep]
	switch {
	case r.Header.Get("Content-Type") == "":
		writeError(w, http.StatusUnsupportedMediaType,
			fmt.Sprintf("Missing Content-Type header: send %s.", strings.Join(want, " or ")), "invalid_request_error", nil)
		return false
	case err != nil || (want != nil && !slices.Contains(want, mt)):
		writeError(w, http.StatusUnsupportedMediaType,
			fmt.Sprintf("Invalid Content-Type header %q: send %s.", r.Header.Get("Content-Type"), strings.Join(want, " or ")), "invalid_request_error", nil)
		return false
	case mt == "multipart/form-data" && params["boundary"] == "":
		writeError(w, http.StatusBadRequest, "Invalid Content-Type header: multipart/form-data needs a boundary.", "invalid_request_error", nil)
		return false
	case mt == "application/json" && params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8"):
		writeError(w, http.StatusUnsupportedMediaType, "Invalid Content-Type header: JSON must be UTF-8.", "invalid_request_error", nil)
		return false
	}
	return true
}

// contentTypes are the media types each endpoint's documents send.
var contentTypes = map[Endpoint][]string{
	Chat:              {"application/json"},
	Gemini:            {"application/json"},
	ImagesGenerations: {"application/json"},
	ImagesEdits:       {"multipart/form-data", "application/json"},
	VideosCreate:      {"multipart/form-data", "application/json"},
}

// credentials reads the key a request carries. In strict mode only the header of its path
// counts, and a key in the other header as well is refused (wrong is true); lenient mode
// takes Bearer anywhere and x-goog-api-key on /v1beta, as the gateway itself does.
func credentials(r *http.Request, ep Endpoint, strict bool) (key string, wrong string) {
	auth := r.Header.Get("Authorization")
	bearer, isBearer := strings.CutPrefix(auth, "Bearer ")
	goog := r.Header.Get("x-goog-api-key")
	if !strict {
		key = bearer
		if ep == Gemini && goog != "" {
			key = goog
		}
		return key, ""
	}
	if ep == Gemini {
		if auth != "" {
			return "", "the Gemini-native path takes the key in x-goog-api-key, not Authorization"
		}
		return goog, ""
	}
	switch {
	case goog != "":
		return "", "OpenAI-style paths take the key as Authorization: Bearer, not x-goog-api-key"
	case auth != "" && !isBearer:
		return "", "the Authorization header must read \"Bearer <key>\""
	}
	return bearer, ""
}

// unknownFields lists the JSON keys or form fields of a captured request that the documents
// do not define for its endpoint, as dotted paths, sorted.
func unknownFields(req *Request) []string {
	var bad []string
	if req.Fields != nil {
		allowed := formFields[req.Endpoint]
		for name := range req.Fields {
			if _, ok := allowed[name]; !ok {
				bad = append(bad, name)
			}
		}
		for _, f := range req.Files {
			if _, ok := allowed[f.Field]; !ok {
				bad = append(bad, f.Field)
			}
		}
	} else if sh := jsonFields[req.Endpoint]; sh != nil && req.JSON != nil {
		bad = sh.unknown(req.JSON, "", bad)
	}
	sort.Strings(bad)
	return slices.Compact(bad)
}
