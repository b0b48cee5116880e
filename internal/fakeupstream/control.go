package fakeupstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// The /_control/ API: the Go API over HTTP, for out-of-process use.

const maxControlBody = 1 << 20

func (s *Server) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok")
}

func (s *Server) handleListRequests(w http.ResponseWriter, _ *http.Request) {
	writeControlJSON(w, http.StatusOK, s.Requests())
}

func (s *Server) handleResetRequests(w http.ResponseWriter, _ *http.Request) {
	s.ResetRequests()
	w.WriteHeader(http.StatusNoContent)
}

// handleAddFaults accepts one Fault object or an array of them. Either all
// of them are added or, when one is invalid, none.
func (s *Server) handleAddFaults(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody))
	if err != nil {
		writeControlError(w, fmt.Errorf("read body: %w", err))
		return
	}
	faults, err := decodeFaults(body)
	if err != nil {
		writeControlError(w, err)
		return
	}
	for i, f := range faults {
		if err := f.validate(); err != nil {
			writeControlError(w, fmt.Errorf("fault %d: %w", i, err))
			return
		}
	}
	for _, f := range faults {
		s.faults.add(f)
	}
	writeControlJSON(w, http.StatusOK, map[string]int{"added": len(faults)})
}

func decodeFaults(body []byte) ([]Fault, error) {
	body = bytes.TrimSpace(body)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if len(body) > 0 && body[0] == '[' {
		var faults []Fault
		if err := dec.Decode(&faults); err != nil {
			return nil, fmt.Errorf("decode faults: %w", err)
		}
		return faults, nil
	}
	var f Fault
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("decode fault: %w", err)
	}
	return []Fault{f}, nil
}

func (s *Server) handleClearFaults(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}

func writeControlJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeControlError(w http.ResponseWriter, err error) {
	writeControlJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
}
