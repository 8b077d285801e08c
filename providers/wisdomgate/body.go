package wisdomgate

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/genform/genform/providers"
)

// jsonCall makes a POST of a JSON body.
func (p *Provider) jsonCall(url string, body map[string]any, paid bool) (*call, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, permanent("encoding the request: " + err.Error())
	}
	c := &call{method: http.MethodPost, url: url, paid: paid, body: func() (io.ReadCloser, string, error) {
		return io.NopCloser(bytes.NewReader(b)), "application/json", nil
	}}
	if p.log != nil {
		c.logBody = string(b)
	}
	return c, nil
}

// field is one part of a multipart body: a value, or a file.
type field struct {
	name  string
	value string
	file  *providers.File
}

// multipartCall makes a POST of a multipart/form-data body, streamed from the files for each
// attempt.
func (p *Provider) multipartCall(url string, fields []field, paid bool) *call {
	c := &call{method: http.MethodPost, url: url, paid: paid, body: func() (io.ReadCloser, string, error) {
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			err := writeFields(mw, fields)
			if err == nil {
				err = mw.Close()
			}
			pw.CloseWithError(err)
		}()
		return pr, mw.FormDataContentType(), nil
	}}
	if p.log != nil {
		var desc []string
		for _, f := range fields {
			if f.file != nil {
				desc = append(desc, fmt.Sprintf("%s=@%s", f.name, f.file.Name))
			} else {
				desc = append(desc, fmt.Sprintf("%s=%q", f.name, truncate(f.value, 200)))
			}
		}
		c.logBody = "multipart " + strings.Join(desc, " ")
	}
	return c
}

func writeFields(mw *multipart.Writer, fields []field) error {
	for _, f := range fields {
		if f.file == nil {
			if err := mw.WriteField(f.name, f.value); err != nil {
				return err
			}
			continue
		}
		if err := writeFile(mw, f.name, f.file); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes a file part with the media type sniffed from its first bytes.
func writeFile(mw *multipart.Writer, name string, file *providers.File) error {
	fh, err := os.Open(file.Path)
	if err != nil {
		return err
	}
	defer fh.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(fh, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return err
	}
	head = head[:n]
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`,
		escapeQuotes(name), escapeQuotes(filepath.Base(file.Path))))
	h.Set("Content-Type", sniff(head))
	w, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := w.Write(head); err != nil {
		return err
	}
	_, err = io.Copy(w, fh)
	return err
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")

func escapeQuotes(s string) string { return quoteEscaper.Replace(s) }

// optionFields renders options as form fields, sorted by name: strings as they are, numbers
// and booleans as text, other values as JSON.
func optionFields(opts map[string]any) []field {
	names := make([]string, 0, len(opts))
	for k := range opts {
		names = append(names, k)
	}
	sort.Strings(names)
	var fields []field
	for _, k := range names {
		var s string
		switch v := opts[k].(type) {
		case nil:
			continue
		case string:
			s = v
		case float64:
			s = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			s = strconv.FormatBool(v)
		default:
			b, err := json.Marshal(v)
			if err != nil {
				continue
			}
			s = string(b)
		}
		fields = append(fields, field{name: k, value: s})
	}
	return fields
}

// mergeOptions merges options into a JSON body; nested objects merge, other values replace.
func mergeOptions(body, opts map[string]any) {
	for k, v := range opts {
		if sub, ok := v.(map[string]any); ok {
			if dst, ok := body[k].(map[string]any); ok {
				mergeOptions(dst, sub)
				continue
			}
		}
		body[k] = v
	}
}

// readReference reads an input image for a JSON body: its media type and base64.
func readReference(f providers.File, maxBytes int64) (mime, b64 string, err error) {
	fi, err := os.Stat(f.Path)
	if err != nil {
		return "", "", &providers.Error{Class: providers.Permanent, Message: "reading reference " + f.Name + ": " + err.Error(), Err: err}
	}
	if maxBytes > 0 && fi.Size() > maxBytes {
		return "", "", permanent(fmt.Sprintf("reference %s is %d bytes; the model takes at most %d bytes per image", f.Name, fi.Size(), maxBytes))
	}
	b, err := os.ReadFile(f.Path)
	if err != nil {
		return "", "", &providers.Error{Class: providers.Permanent, Message: "reading reference " + f.Name + ": " + err.Error(), Err: err}
	}
	mime = sniff(b)
	if !expected(providers.Image, mime) {
		return "", "", permanent(fmt.Sprintf("reference %s is %s, not a PNG, JPEG, GIF or WebP image", f.Name, mime))
	}
	return mime, base64.StdEncoding.EncodeToString(b), nil
}

// checkFile checks an input file for a multipart body before it is streamed.
func checkFile(f providers.File, maxBytes int64) error {
	fi, err := os.Stat(f.Path)
	if err != nil {
		return &providers.Error{Class: providers.Permanent, Message: "reading " + f.Name + ": " + err.Error(), Err: err}
	}
	if maxBytes > 0 && fi.Size() > maxBytes {
		return permanent(fmt.Sprintf("%s is %d bytes; the model takes at most %d bytes per image", f.Name, fi.Size(), maxBytes))
	}
	fh, err := os.Open(f.Path)
	if err != nil {
		return &providers.Error{Class: providers.Permanent, Message: "reading " + f.Name + ": " + err.Error(), Err: err}
	}
	defer fh.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(fh, head)
	if mt := sniff(head[:n]); !expected(providers.Image, mt) {
		return permanent(fmt.Sprintf("%s is %s, not a PNG, JPEG, GIF or WebP image", f.Name, mt))
	}
	return nil
}

// readReply reads a successful reply body with a size limit.
func readReply(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, retryable("reading the gateway's reply", err)
	}
	if int64(len(b)) > limit {
		return nil, permanent(fmt.Sprintf("the gateway's reply is larger than %d bytes", limit))
	}
	return b, nil
}

// replyLimit bounds a JSON reply: base64 of the largest image, and some.
func (p *Provider) replyLimit() int64 {
	return max(p.maxImage/3*4+(1<<20), 16<<20)
}
