package wisdomgate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"image"
	_ "image/gif" // image.DecodeConfig of GIF replies
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"os"
	"strings"

	_ "golang.org/x/image/webp" // and WebP

	"github.com/genform/genform/providers"
)

// sink writes one output file into the job's folder (a temporary file), or into memory for a
// payload that was in memory already: a running sha256, a size cap, and the first bytes kept
// to check the media type.
type sink struct {
	f       *os.File      // nil: in memory
	mem     *bytes.Buffer // the bytes, in memory
	h       hash.Hash
	n       int64
	max     int64
	head    []byte
	kind    providers.Kind
	capName string
	total   int64 // the expected size, when known, for progress
	pct     int   // the last percent reported
	job     *providers.Job
}

var errTooLarge = errors.New("too large")

// capOf is the size cap of an output of kind.
func (p *Provider) capOf(kind providers.Kind) int64 {
	if kind == providers.Video {
		return p.maxVideo
	}
	return p.maxImage
}

func (p *Provider) newSink(job *providers.Job, kind providers.Kind) (*sink, error) {
	f, err := os.CreateTemp(job.Dir, ".wisdomgate-*")
	if err != nil {
		return nil, &providers.Error{Class: providers.Permanent, Message: "creating the output file: " + err.Error(), Err: err}
	}
	return p.sinkTo(job, kind, f, nil), nil
}

func (p *Provider) sinkTo(job *providers.Job, kind providers.Kind, f *os.File, mem *bytes.Buffer) *sink {
	s := &sink{f: f, mem: mem, h: sha256.New(), kind: kind, job: job, pct: -1, max: p.capOf(kind), capName: "max_image_bytes"}
	if kind == providers.Video {
		s.capName = "max_video_bytes"
	}
	return s
}

func (s *sink) Write(b []byte) (int, error) {
	if s.n+int64(len(b)) > s.max {
		return 0, errTooLarge
	}
	if len(s.head) < 512 {
		s.head = append(s.head, b[:min(len(b), 512-len(s.head))]...)
	}
	var n int
	var err error
	if s.f != nil {
		n, err = s.f.Write(b)
	} else {
		n, err = s.mem.Write(b)
	}
	s.h.Write(b[:n])
	s.n += int64(n)
	if err != nil {
		return n, &providers.Error{Class: providers.Permanent, Message: "writing the output file: " + err.Error(), Err: err}
	}
	if s.total > 0 {
		if pct := int(s.n * 100 / s.total); pct != s.pct {
			s.pct = pct
			report(s.job, providers.PhaseDownloading, pct, "")
		}
	}
	return n, nil
}

func (s *sink) tooLarge() error {
	return &providers.Error{Class: providers.Permanent, Message: fmt.Sprintf(
		"the %s is larger than the %s cap of %d bytes: raise %s in the provider block if it is expected",
		s.kind, s.capName, s.max, s.capName)}
}

// discard removes the file.
func (s *sink) discard() {
	if s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name())
	}
}

// finish checks the media type, closes the file and names it with its type's extension.
func (s *sink) finish() (*providers.Result, error) {
	mt := sniff(s.head)
	if !expected(s.kind, mt) {
		s.discard()
		got := mt
		if s.n == 0 {
			got = "an empty file"
		}
		return nil, permanent(fmt.Sprintf("the gateway sent %s where %s %s was expected", got, article(string(s.kind)), s.kind))
	}
	res := &providers.Result{MediaType: mt, SHA256: hex.EncodeToString(s.h.Sum(nil)), Size: s.n}
	if s.kind == providers.Image {
		var r io.Reader = s.f
		if s.f == nil {
			r = bytes.NewReader(s.mem.Bytes())
		} else if _, err := s.f.Seek(0, io.SeekStart); err != nil {
			s.discard()
			return nil, &providers.Error{Class: providers.Permanent, Message: "reading the output file: " + err.Error(), Err: err}
		}
		cfg, _, err := image.DecodeConfig(r)
		if err != nil {
			s.discard()
			return nil, permanent(fmt.Sprintf("the gateway sent a broken %s: %v", mt, err))
		}
		res.Width, res.Height = cfg.Width, cfg.Height
	}
	if s.f == nil {
		res.Data = s.mem.Bytes()
		return res, nil
	}
	// os.CreateTemp makes the file private; an output is an ordinary file
	if err := s.f.Chmod(0o644); err != nil {
		s.discard()
		return nil, &providers.Error{Class: providers.Permanent, Message: "writing the output file: " + err.Error(), Err: err}
	}
	// The file keeps its temporary name: the engine moves it into the cache at once (and the
	// temporary folder is emptied before every apply), so a rename here would be one more.
	if err := s.f.Close(); err != nil {
		os.Remove(s.f.Name())
		return nil, &providers.Error{Class: providers.Permanent, Message: "writing the output file: " + err.Error(), Err: err}
	}
	res.File = s.f.Name()
	return res, nil
}

// sniff tells the media type from the first bytes.
func sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return "image/gif"
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return "image/webp"
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		if string(head[8:12]) == "qt  " {
			return "video/quicktime"
		}
		return "video/mp4"
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return "video/webm"
	}
	mt := http.DetectContentType(head)
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	return mt
}

func expected(kind providers.Kind, mt string) bool {
	switch kind {
	case providers.Image:
		return mt == "image/png" || mt == "image/jpeg" || mt == "image/gif" || mt == "image/webp"
	case providers.Video:
		return mt == "video/mp4" || mt == "video/quicktime" || mt == "video/webm"
	}
	return false
}

// saveBase64 decodes a base64 payload (whole in memory already, as part of a reply) into
// memory: Result.Data, which the engine keeps without a file of its own.
func (p *Provider) saveBase64(job *providers.Job, kind providers.Kind, b64 string) (*providers.Result, error) {
	s := p.sinkTo(job, kind, nil, bytes.NewBuffer(make([]byte, 0, min(int64(base64.StdEncoding.DecodedLen(len(b64))), p.capOf(kind)))))
	if _, err := io.Copy(s, base64Reader(b64)); err != nil {
		s.discard()
		if errors.Is(err, errTooLarge) {
			return nil, s.tooLarge()
		}
		var pe *providers.Error
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, permanent("the gateway's base64 " + string(kind) + " does not decode: " + err.Error())
	}
	return s.finish()
}

// base64Reader decodes standard or URL-safe base64, padded or not, ignoring white space.
func base64Reader(s string) io.Reader {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
	enc := base64.StdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.URLEncoding
	}
	if !strings.HasSuffix(s, "=") && len(s)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	return base64.NewDecoder(enc, strings.NewReader(s))
}

// download streams a media URL into an output file. Credentials go only to the gateway's host.
func (p *Provider) download(ctx context.Context, rawURL string, kind providers.Kind, job *providers.Job) (*providers.Result, error) {
	report(job, providers.PhaseDownloading, -1, "")
	var res *providers.Result
	err := p.do(ctx, &call{method: http.MethodGet, url: rawURL, stream: true, accept: "*/*"}, job, func(resp *http.Response) error {
		s, err := p.newSink(job, kind)
		if err != nil {
			return err
		}
		if resp.ContentLength > s.max {
			s.discard()
			return s.tooLarge()
		}
		s.total = resp.ContentLength
		if _, err := io.Copy(s, resp.Body); err != nil {
			s.discard()
			if errors.Is(err, errTooLarge) {
				return s.tooLarge()
			}
			var pe *providers.Error
			if errors.As(err, &pe) {
				return err
			}
			return retryable("downloading the "+string(kind), err)
		}
		res, err = s.finish()
		return err
	})
	return res, err
}
