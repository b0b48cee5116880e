// Package console is the operator console: a single-page web UI over the
// admin API (sign-in, accounts, the "Account Scheduling & Rotation" card, the
// request monitor, an overview of the last hour and the client keys),
// written in plain HTML, CSS and JavaScript modules and embedded in the
// binary. There is no build step and nothing is fetched from elsewhere at run
// time.
//
// The handler serves only static files and a small config.json. It holds no
// credential and checks none: the page asks the operator for the admin key,
// keeps it in the tab's session storage and sends it with every admin API
// call, so the handler is mounted outside the admin-key middleware. Every
// response carries a strict Content-Security-Policy (scripts and styles from
// the console itself only, no inline code).
package console

import (
	"net/http"
	"os"
)

// Handler serves the console at the root of its mount ("/" is the page):
// mount it with http.StripPrefix. lookup reads the process environment
// (os.LookupEnv when nil); see Config for the variables it reads.
func Handler(lookup func(string) (string, bool)) http.Handler {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	return &handler{files: loadFiles(), config: ReadConfig(lookup).encode()}
}

type handler struct {
	files  map[string]*file
	config []byte
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := r.URL.Path
	if name == "" || name == "/" {
		name = "/index.html"
	}
	if name == "/config.json" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(h.config)
		return
	}
	f, ok := h.files[name]
	if !ok {
		http.Error(w, "no such file in the operator console", http.StatusNotFound)
		return
	}
	f.serve(w, r)
}
