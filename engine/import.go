package engine

import (
	"errors"
	"fmt"
	"image"
	_ "image/gif" // image.DecodeConfig of an imported GIF
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/genform/genform/asset"
	"github.com/genform/genform/state"
	_ "golang.org/x/image/webp" // and WebP
)

// ErrInputUnknown is the refusal to import an instance whose input is known only after an
// upstream is generated: there is no input hash to adopt the file for yet.
var ErrInputUnknown = errors.New("its input is known only after apply")

// maxImportText bounds a chat reply read from a file.
const maxImportText = 16 << 20

// ImportRecord makes file the recorded output of a planned instance, as if its provider had
// made it for the change's current input: the record holds that input hash and request, the
// file's hash, size, media type and dimensions, and no cost. The caller puts the file in
// place and writes the state; nothing is generated.
func ImportRecord(ch *Change, file string, now time.Time) (*state.Record, error) {
	if ch.InputHash == "" {
		return nil, ErrInputUnknown
	}
	zero := 0.0
	rec := &state.Record{
		Addr: ch.Addr, Kind: ch.Kind, Provider: strings.SplitN(ch.Provider, ".", 2)[0], Model: ch.Model,
		InputHash: ch.InputHash, Request: ch.Request, Cost: &zero, JobID: "imported",
		GeneratedAt: now.UTC().Truncate(time.Second),
	}
	if ch.Kind == "chat" {
		data, err := readCapped(file, maxImportText)
		if err != nil {
			return nil, err
		}
		if !utf8.Valid(data) {
			return nil, fmt.Errorf("%s is not UTF-8 text, so it cannot be a chat reply", file)
		}
		rec.Text = string(data)
		if ch.Path != "" {
			rec.Output = &state.Output{Path: ch.Path, SHA256: sha256Hex(data), Size: int64(len(data)), MediaType: "text/plain; charset=utf-8"}
		}
		return rec, nil
	}
	out, err := mediaOutput(ch.Kind, file, ch.Path)
	if err != nil {
		return nil, err
	}
	out.Path = ch.Path
	rec.Output = out
	return rec, nil
}

// mediaOutput reads what a record says of a media file: hash, size, type, dimensions.
func mediaOutput(kind, file, path string) (*state.Output, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := f.Read(head)
	mt := http.DetectContentType(head[:n])
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	// a video rendered as an animated GIF (the offline provider's) is one too
	gifVideo := kind == "video" && mt == "image/gif" && strings.HasSuffix(strings.ToLower(path), ".gif")
	if !strings.HasPrefix(mt, kind+"/") && !gifVideo {
		return nil, fmt.Errorf("%s is %s, not %s file", file, mt, asset.WithArticle(kind))
	}
	sha, err := hashFile(file)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	out := &state.Output{SHA256: sha, Size: fi.Size(), MediaType: mt}
	if kind == "image" || gifVideo {
		if _, err := f.Seek(0, 0); err != nil {
			return nil, err
		}
		cfg, _, err := image.DecodeConfig(f)
		if err != nil {
			return nil, fmt.Errorf("%s is a broken %s: %v", file, mt, err)
		}
		out.Width, out.Height = cfg.Width, cfg.Height
	}
	return out, nil
}

func readCapped(file string, max int64) ([]byte, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", file, max)
	}
	return os.ReadFile(file)
}
