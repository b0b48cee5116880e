package monitor

import (
	"bufio"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// Handler serves the request monitor under prefix (e.g. "/admin"):
//
//	GET {prefix}/requests?limit=&errors_only=&q=   newest first
//	GET {prefix}/requests/export                    NDJSON, oldest first, streamed
//	GET {prefix}/requests/{id}                      one record by request id
//	GET {prefix}/usage?group_by=key|model|account&since=24h   sums per group
//
// Authentication is the caller's job. Register it for both "/requests" and
// "/requests/*rest" in a gin group (see internal/app), so "export" and ids
// that contain slashes never collide with a parameter route.
func (l *Log) Handler(prefix string, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{l: l, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+"/requests", h.list)
	mux.HandleFunc("GET "+prefix+"/requests/export", h.export)
	mux.HandleFunc("GET "+prefix+"/requests/{id...}", h.get)
	mux.HandleFunc("GET "+prefix+"/usage", h.usage)
	return mux
}

type handler struct {
	l   *Log
	log *slog.Logger
}

func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	f := Filter{Limit: DefaultLimit, Query: r.URL.Query().Get("q")}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			fail(w, http.StatusBadRequest, "limit must be a whole number from 1 to 1000")
			return
		}
		f.Limit = min(n, MaxLimit)
	}
	if v := r.URL.Query().Get("errors_only"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fail(w, http.StatusBadRequest, "errors_only must be true or false")
			return
		}
		f.ErrorsOnly = b
	}
	out, err := h.l.List(r.Context(), f)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": out})
}

func (h *handler) usage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	groupBy, err := ParseGroupBy(q.Get("group_by"))
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	now := time.Now().UTC()
	since, err := ParseSince(q.Get("since"), now)
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	u, err := h.l.Usage(r.Context(), groupBy, since, now)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id == "" {
		fail(w, http.StatusNotFound, "give a request id: /requests/{id}")
		return
	}
	e, err := h.l.Get(r.Context(), id)
	if errors.Is(err, ErrNotFound) {
		fail(w, http.StatusNotFound, "no request with this id in the request log (it may have aged out)")
		return
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

// export streams every record as one JSON object per line. A store failure
// before anything reached the client answers 503; later it ends the stream.
func (h *handler) export(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	out := &wireWriter{w: w}
	bw := bufio.NewWriterSize(out, 64<<10)
	flusher, _ := w.(http.Flusher)
	n := 0
	err := h.l.Export(r.Context(), func(raw []byte) error {
		_, _ = bw.Write(raw)
		if err := bw.WriteByte('\n'); err != nil {
			return err
		}
		if n++; n%page == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		return nil
	})
	if err != nil && !out.wrote {
		h.storeError(w, r, err)
		return
	}
	if err != nil {
		h.log.Warn("request log export ended early", slog.String("error", err.Error()))
	}
	_ = bw.Flush()
}

// wireWriter remembers whether anything was written to the client.
type wireWriter struct {
	w     http.ResponseWriter
	wrote bool
}

func (o *wireWriter) Write(p []byte) (int, error) {
	o.wrote = true
	return o.w.Write(p)
}

func (h *handler) storeError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return
	}
	h.log.Error("request log read failed", slog.String("error", err.Error()))
	fail(w, http.StatusServiceUnavailable, "the shared store is unavailable")
}

// fail answers in the admin API's error shape.
func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "status": status}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
