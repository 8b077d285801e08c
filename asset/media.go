package asset

import (
	"slices"
	"strings"
)

// MediaType is a file format genform reads, writes or shows: its media type, its file
// extensions (the first is the one genform writes), and the kind of asset it holds.
type MediaType struct {
	Type string
	Exts []string
	Kind Kind
}

// mediaTypes is the one table of media types and extensions.
var mediaTypes = []MediaType{
	{"image/png", []string{".png"}, Image},
	{"image/jpeg", []string{".jpg", ".jpeg"}, Image},
	{"image/gif", []string{".gif"}, Image},
	{"image/webp", []string{".webp"}, Image},
	{"image/avif", []string{".avif"}, Image},
	{"image/bmp", []string{".bmp"}, Image},
	{"video/mp4", []string{".mp4", ".m4v"}, Video},
	{"video/quicktime", []string{".mov"}, Video},
	{"video/webm", []string{".webm"}, Video},
	{"video/ogg", []string{".ogv"}, Video},
	{"text/plain", []string{".txt"}, Chat},
}

// Ext is the extension genform writes a file of media type mt with ("image/jpeg" ->
// ".jpg"; parameters after ";" are ignored), or "" for a type not in the table.
func Ext(mt string) string {
	mt, _, _ = strings.Cut(mt, ";")
	mt = strings.TrimSpace(mt)
	for _, m := range mediaTypes {
		if m.Type == mt {
			return m.Exts[0]
		}
	}
	return ""
}

// ByExt returns the media type of a file extension (".jpeg"), compared lower case.
func ByExt(ext string) (MediaType, bool) {
	ext = strings.ToLower(ext)
	for _, m := range mediaTypes {
		if slices.Contains(m.Exts, ext) {
			return m, true
		}
	}
	return MediaType{}, false
}
