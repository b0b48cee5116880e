package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"time"
)

// assets is the console itself. go:embed needs a package-level variable; it
// is read-only.
//
//go:embed assets
var assets embed.FS

// contentType names the only kinds of file the console serves.
func contentType(ext string) (string, bool) {
	switch ext {
	case ".html":
		return "text/html; charset=utf-8", true
	case ".css":
		return "text/css; charset=utf-8", true
	case ".js":
		return "text/javascript; charset=utf-8", true
	case ".svg":
		return "image/svg+xml", true
	}
	return "", false
}

// file is one embedded asset, ready to serve.
type file struct {
	data  []byte
	ctype string
	etag  string
}

// loadFiles indexes the embedded assets by their URL path ("/js/main.js").
func loadFiles() map[string]*file {
	out := map[string]*file{}
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ctype, ok := contentType(path.Ext(p))
		if !ok {
			return nil
		}
		data, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		out[p[len("assets"):]] = &file{data: data, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		// The files are compiled in: this is a broken build, not a run-time condition.
		panic("console: read embedded assets: " + err.Error())
	}
	return out
}

// serve answers with the file; the browser revalidates every time (the
// console changes with the binary), which costs a 304 thanks to the ETag.
func (f *file) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", f.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.data))
}
