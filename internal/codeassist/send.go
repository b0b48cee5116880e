package codeassist

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// Limits of what Send reads into memory.
const (
	maxErrorBody = 1 << 20
	maxJSONBody  = 64 << 20
)

// Send performs a Gemini call on a codeassist account: it wraps the body in
// the Code Assist envelope, posts it to the matching v1internal method and
// returns a response whose body is plain Gemini again (each event of a
// stream unwrapped as it arrives). A discovery refusal comes back as the
// response, so it is classified like the call's own answer. It implements
// upstream.CodeAssist.
func (s *Service) Send(ctx context.Context, a *account.Account, call upstream.Call) (*http.Response, error) {
	info, err := s.Info(ctx, a)
	if err != nil {
		var ref *Refusal
		if errors.As(err, &ref) {
			return s.answer(ctx, a, refusalResponse(ref), false), nil
		}
		return nil, err
	}
	var body []byte
	method := ":generateContent"
	switch {
	case call.Op == upstream.OpCountTokens:
		method = ":countTokens"
		body, err = WrapCount(call.Body, call.Model)
	case call.Stream:
		method = ":streamGenerateContent?alt=sse"
		fallthrough
	default:
		body, err = WrapGenerate(call.Body, call.Model, info.Project, call.Session)
	}
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.BaseURL+"/v1internal"+method, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build code assist request: %w", err)
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/json")
	if call.Stream {
		req.Header.Set("Accept", "text/event-stream")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	if err := s.authorize(ctx, req, a); err != nil {
		return nil, err
	}
	resp, err := s.opts.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("send to codeassist: %w", transportError(err))
	}
	return s.answer(ctx, a, resp, call.Stream), nil
}

func refusalResponse(r *Refusal) *http.Response {
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Content-Type", "application/json")
	return &http.Response{StatusCode: r.Status, Status: strconv.Itoa(r.Status) + " " + http.StatusText(r.Status),
		Header: h, Body: io.NopCloser(bytes.NewReader(r.Body)), ContentLength: int64(len(r.Body))}
}

// answer takes the envelope off a Code Assist response. An error answer is
// read whole (as JSON even when it claims to be an event stream), and a
// request to verify the account is noted and made to cool the account long.
func (s *Service) answer(ctx context.Context, a *account.Account, resp *http.Response, stream bool) *http.Response {
	ct := resp.Header.Get("Content-Type")
	isSSE := strings.HasPrefix(ct, "text/event-stream")
	switch {
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		if err != nil && len(data) == 0 {
			data = []byte(`{"error":{"code":` + strconv.Itoa(resp.StatusCode) + `,"message":"the error answer was cut short"}}`)
		}
		if isSSE {
			data = errorJSON(data)
			resp.Header.Set("Content-Type", "application/json")
		}
		if v, ok := verification(resp.StatusCode, data); ok {
			s.noteVerification(ctx, a, v)
			resp.Header.Set("Retry-After", strconv.Itoa(int(s.opts.VerifyCooldown.Seconds())))
		}
		setBody(resp, data)
	case stream && isSSE:
		resp.Body = newUnwrapStream(resp.Body)
		resp.ContentLength = -1
		resp.Header.Del("Content-Length")
	default:
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONBody))
		resp.Body.Close()
		if err != nil {
			// Hand over what arrived: the dispatch loop sees a cut answer.
			resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(data), errReader{err}))
			return resp
		}
		setBody(resp, Unwrap(data))
	}
	return resp
}

func setBody(resp *http.Response, data []byte) {
	resp.Body = io.NopCloser(bytes.NewReader(data))
	resp.ContentLength = int64(len(data))
	resp.Header.Set("Content-Length", strconv.Itoa(len(data)))
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
