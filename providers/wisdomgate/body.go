package wisdomgate

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
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

// jsonCall makes a POST of a JSON body, sent as it is with its exact Content-Length.
func (p *Provider) jsonCall(url string, body map[string]any, paid bool) (*call, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, permanent("encoding the request: " + err.Error())
	}
	c := &call{method: http.MethodPost, url: url, paid: paid, body: func() (*reqBody, error) {
		return &reqBody{ReadCloser: io.NopCloser(bytes.NewReader(b)), size: int64(len(b)), ctype: "application/json"}, nil
	}}
	if p.log != nil {
		c.logBody = string(b)
	}
	return c, nil
}

// reqBody is one attempt's request body: its exact length and media type.
type reqBody struct {
	io.ReadCloser
	size  int64
	ctype string
}

// field is one part of a multipart body: a value, or a file.
type field struct {
	name  string
	value string
	file  *providers.File
}

// multipartCall makes a POST of a multipart/form-data body. The parts' headers and values are
// laid out once, with the files' sizes, so every attempt sends an exact Content-Length while
// the files are still streamed from disk, never held in memory.
func (p *Provider) multipartCall(url string, fields []field, paid bool) (*call, error) {
	form, err := layoutForm(fields)
	if err != nil {
		return nil, err
	}
	c := &call{method: http.MethodPost, url: url, paid: paid, body: form.open}
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
	return c, nil
}

// form is a multipart body laid out: literal segments (boundaries, part headers, values)
// between the files, whose bytes are read at sending time.
type form struct {
	ctype    string
	segments [][]byte          // len(files)+1 literal segments around the files
	files    []*providers.File // file i comes after segment i
	sizes    []int64           // each file's size when laid out
	size     int64             // the whole body
}

func layoutForm(fields []field) (*form, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	f := &form{ctype: mw.FormDataContentType()}
	for _, fl := range fields {
		if fl.file == nil {
			if err := mw.WriteField(fl.name, fl.value); err != nil {
				return nil, permanent("encoding the request: " + err.Error())
			}
			continue
		}
		head, size, err := fileHead(fl.file)
		if err != nil {
			return nil, err
		}
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`,
			escapeQuotes(fl.name), escapeQuotes(filepath.Base(fl.file.Path))))
		h.Set("Content-Type", sniff(head))
		if _, err := mw.CreatePart(h); err != nil {
			return nil, permanent("encoding the request: " + err.Error())
		}
		f.segments = append(f.segments, bytes.Clone(buf.Bytes()))
		buf.Reset()
		f.files, f.sizes = append(f.files, fl.file), append(f.sizes, size)
	}
	if err := mw.Close(); err != nil {
		return nil, permanent("encoding the request: " + err.Error())
	}
	f.segments = append(f.segments, bytes.Clone(buf.Bytes()))
	for _, s := range f.segments {
		f.size += int64(len(s))
	}
	for _, n := range f.sizes {
		f.size += n
	}
	return f, nil
}

// fileHead reads an input file's first bytes (to tell its media type) and its size.
func fileHead(file *providers.File) ([]byte, int64, error) {
	fh, err := os.Open(file.Path)
	if err != nil {
		return nil, 0, inputError(file, err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, 0, inputError(file, err)
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(fh, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, 0, inputError(file, err)
	}
	return head[:n], fi.Size(), nil
}

func inputError(file *providers.File, err error) error {
	return &providers.Error{Class: providers.Permanent, Message: "reading " + file.Name + ": " + err.Error(), Err: err}
}

// open makes one attempt's body: the segments and the files, opened now, each read for
// exactly the size it had when laid out (a file that changed since fails the attempt rather
// than sending a body that does not match its length).
func (f *form) open() (*reqBody, error) {
	readers := make([]io.Reader, 0, 2*len(f.files)+1)
	var closers []io.Closer
	closeAll := func() {
		for _, c := range closers {
			c.Close()
		}
	}
	for i, file := range f.files {
		fh, err := os.Open(file.Path)
		if err != nil {
			closeAll()
			return nil, inputError(file, err)
		}
		closers = append(closers, fh)
		readers = append(readers, bytes.NewReader(f.segments[i]), &exactReader{r: fh, left: f.sizes[i], file: file})
	}
	readers = append(readers, bytes.NewReader(f.segments[len(f.files)]))
	return &reqBody{ReadCloser: &multiCloser{Reader: io.MultiReader(readers...), close: closeAll}, size: f.size, ctype: f.ctype}, nil
}

// exactReader reads exactly left bytes of a file: fewer (the file shrank) is an error.
type exactReader struct {
	r    io.Reader
	left int64
	file *providers.File
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	switch {
	case err == io.EOF && e.left > 0:
		return n, e.changed()
	case e.left == 0:
		// the file must end here too: a file that grew would be sent cut short
		var one [1]byte
		if m, _ := io.ReadFull(e.r, one[:]); m > 0 {
			return n, e.changed()
		}
		err = nil
	}
	return n, err
}

func (e *exactReader) changed() error {
	return inputError(e.file, errors.New("the file changed while it was being sent"))
}

type multiCloser struct {
	io.Reader
	close func()
}

func (m *multiCloser) Close() error {
	m.close()
	return nil
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
		return "", "", inputError(&f, err)
	}
	if maxBytes > 0 && fi.Size() > maxBytes {
		return "", "", permanent(fmt.Sprintf("reference %s is %d bytes; the model takes at most %d bytes per image", f.Name, fi.Size(), maxBytes))
	}
	b, err := os.ReadFile(f.Path)
	if err != nil {
		return "", "", inputError(&f, err)
	}
	mime = sniff(b)
	if !expected(providers.Image, mime) {
		return "", "", permanent(fmt.Sprintf("reference %s is %s, not a PNG, JPEG, GIF or WebP image", f.Name, mime))
	}
	return mime, base64.StdEncoding.EncodeToString(b), nil
}

// checkFile checks an input file for a multipart body before it is laid out.
func checkFile(f providers.File, maxBytes int64) error {
	head, size, err := fileHead(&f)
	if err != nil {
		return err
	}
	if maxBytes > 0 && size > maxBytes {
		return permanent(fmt.Sprintf("%s is %d bytes; the model takes at most %d bytes per image", f.Name, size, maxBytes))
	}
	if mt := sniff(head); !expected(providers.Image, mt) {
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
