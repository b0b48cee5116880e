package codeassist

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/switchyard-gw/switchyard/internal/jsonguard"
)

// bareModel drops a leading "models/": Code Assist's generate calls name
// the model bare.
func bareModel(model string) string {
	if len(model) >= 7 && strings.EqualFold(model[:7], "models/") {
		return model[7:]
	}
	return model
}

// quote is a JSON string literal.
func quote(s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return b
}

// WrapGenerate puts a Gemini GenerateContent body into the Code Assist
// envelope. The body is not decoded: it becomes the envelope's request as it
// is, with session_id added when the request has a session and the body none.
func WrapGenerate(body []byte, model, project, session string) ([]byte, error) {
	if !jsonguard.Valid(body) || !gjson.ParseBytes(body).IsObject() {
		return nil, errors.New("codeassist: the request body is not a JSON object")
	}
	if session != "" && !gjson.GetBytes(body, "session_id").Exists() {
		var err error
		if body, err = sjson.SetBytes(body, "session_id", session); err != nil {
			return nil, fmt.Errorf("codeassist: set session_id: %w", err)
		}
	}
	out := make([]byte, 0, len(body)+len(model)+len(project)+96)
	out = append(out, `{"model":`...)
	out = append(out, quote(bareModel(model))...)
	out = append(out, `,"project":`...)
	out = append(out, quote(project)...)
	out = append(out, `,"user_prompt_id":`...)
	out = append(out, quote(promptID())...)
	out = append(out, `,"request":`...)
	out = append(out, body...)
	out = append(out, '}')
	return out, nil
}

// WrapCount turns a Gemini countTokens body ({"contents"} or
// {"generateContentRequest": {"contents"}}) into Code Assist's
// {"request": {"model": "models/…", "contents"}}.
func WrapCount(body []byte, model string) ([]byte, error) {
	if !jsonguard.Valid(body) {
		return nil, errors.New("codeassist: the token count body is not JSON")
	}
	contents := gjson.GetBytes(body, "contents")
	if !contents.Exists() {
		contents = gjson.GetBytes(body, "generateContentRequest.contents")
	}
	if !contents.Exists() {
		contents = gjson.GetBytes(body, "generate_content_request.contents")
	}
	raw := contents.Raw
	if raw == "" {
		raw = "[]"
	}
	out := make([]byte, 0, len(raw)+len(model)+48)
	out = append(out, `{"request":{"model":`...)
	out = append(out, quote("models/"+bareModel(model))...)
	out = append(out, `,"contents":`...)
	out = append(out, raw...)
	out = append(out, `}}`...)
	return out, nil
}

// promptID is a fresh user_prompt_id.
func promptID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "sy-" + hex.EncodeToString(b[:])
}

// Unwrap returns the Gemini answer inside a Code Assist answer or event:
// its "response", with traceId as responseId when the answer has none. Data
// without a "response" object (an error, a token count) is returned as it is.
func Unwrap(data []byte) []byte {
	r := gjson.GetBytes(data, "response")
	if !r.IsObject() {
		return data
	}
	out := []byte(r.Raw)
	if r.Get("responseId").String() != "" {
		return out
	}
	if t := gjson.GetBytes(data, "traceId"); t.Type == gjson.String && t.Str != "" {
		if b, err := sjson.SetBytes(out, "responseId", t.Str); err == nil {
			return b
		}
	}
	return out
}

// maxEvent bounds one SSE event while it is unwrapped.
const maxEvent = 16 << 20

// unwrapStream reads a Code Assist event stream and yields the same stream
// with every event's data unwrapped, framed as Google does (one data line,
// then a blank line). Comment lines pass through; other fields are dropped.
type unwrapStream struct {
	src  io.ReadCloser
	br   *bufio.Reader
	data []byte // the data lines of the event being read, joined by \n
	has  bool   // the event has a data line
	out  bytes.Buffer
	err  error
}

func newUnwrapStream(src io.ReadCloser) *unwrapStream {
	return &unwrapStream{src: src, br: bufio.NewReaderSize(src, 32<<10)}
}

func (u *unwrapStream) Read(p []byte) (int, error) {
	for u.out.Len() == 0 {
		if u.err != nil {
			return 0, u.err
		}
		u.step()
	}
	return u.out.Read(p)
}

func (u *unwrapStream) Close() error { return u.src.Close() }

// step reads one line and queues whatever it completes.
func (u *unwrapStream) step() {
	line, err := u.readLine()
	if err != nil {
		if errors.Is(err, io.EOF) {
			u.flush()
		}
		u.err = err
		return
	}
	switch {
	case len(line) == 0:
		u.flush()
	case line[0] == ':':
		u.out.Write(line)
		u.out.WriteString("\n\n")
	case bytes.HasPrefix(line, []byte("data:")):
		v := bytes.TrimPrefix(line[5:], []byte(" "))
		if u.has {
			u.data = append(u.data, '\n')
		}
		if len(u.data)+len(v) > maxEvent {
			u.err = fmt.Errorf("codeassist: stream event over %d bytes", maxEvent)
			return
		}
		u.data, u.has = append(u.data, v...), true
	}
}

// flush queues the event read so far, unwrapped.
func (u *unwrapStream) flush() {
	if !u.has {
		return
	}
	u.out.WriteString("data: ")
	u.out.Write(Unwrap(u.data))
	u.out.WriteString("\r\n\r\n")
	u.data, u.has = u.data[:0], false
}

// readLine returns the next line without its end (\n, \r\n or \r\n\r\n
// parts), bounded by maxEvent. A last line without an end is returned with
// a nil error; EOF comes on the call after.
func (u *unwrapStream) readLine() ([]byte, error) {
	var line []byte
	for {
		chunk, err := u.br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxEvent {
			return nil, fmt.Errorf("codeassist: stream line over %d bytes", maxEvent)
		}
		switch {
		case err == nil:
			return bytes.TrimRight(line, "\r\n"), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return bytes.TrimRight(line, "\r\n"), nil
		default:
			return nil, err
		}
	}
}

// errorJSON turns an error answer sent as an event stream (Code Assist does
// that with a non-200 status) into its JSON body: the data of its events,
// or the body itself when it has no data lines.
func errorJSON(body []byte) []byte {
	var data [][]byte
	for _, line := range bytes.Split(body, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if v, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			data = append(data, bytes.TrimPrefix(v, []byte(" ")))
		}
	}
	if len(data) == 0 {
		return body
	}
	return Unwrap(bytes.Join(data, []byte("\n")))
}
