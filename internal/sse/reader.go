// Package sse reads and writes Server-Sent Events the way LLM upstreams and
// clients use them: it splits an upstream byte stream into events, tells the
// meaningful events of each wire protocol from heartbeats, and appends events
// to a client's output buffer byte-exactly.
//
// The reader sits on the streaming hot path: in the steady state it reuses its
// buffers and does not allocate per event.
package sse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// DefaultMaxEventBytes is the event size bound NewReader uses when it is given
// a bound of zero or less.
const DefaultMaxEventBytes = 16 << 20

const (
	// readBufferSize is the size of the bufio buffer; lines up to this size are
	// read without copying them first.
	readBufferSize = 4 << 10
	// retainBytes is the largest buffer capacity kept between events; a larger
	// buffer, grown for one big event, is released so that a long stream does
	// not hold on to its largest event.
	retainBytes = 256 << 10
)

// ErrEventTooLarge is returned by Reader.Next when a line or an event's data
// exceeds the reader's bound. It is sticky: every later call returns it too.
var ErrEventTooLarge = errors.New("sse: event too large")

// utf8BOM may start a stream and is skipped.
const utf8BOM = "\xEF\xBB\xBF"

// Event is one dispatched Server-Sent Event.
type Event struct {
	// Name is the value of the "event:" field, "" when absent.
	Name string
	// Data holds the "data:" lines joined by "\n". It aliases the reader's
	// buffer and is valid until the next call to Next unless the caller copies it.
	Data []byte
	// Comment is true for a block made only of comment lines (lines starting
	// with ':'); Data then holds the comment text, one line per comment.
	Comment bool
}

// Reader splits a byte stream into events. It is not safe for concurrent use.
type Reader struct {
	br  *bufio.Reader
	max int
	err error // sticky error returned by every later Next

	pending []byte // unconsumed rest of the last ReadSlice; aliases br's buffer
	rerr    error  // error that came with pending, reported once pending is used up
	skipLF  bool   // the last line ended in '\r': a leading '\n' belongs to it
	started bool   // the first line has been read (and its BOM stripped)

	line     []byte // accumulates lines that span bufio buffer refills
	data     []byte // data of the event being built
	comment  []byte // comment text of the block being built
	lastName string // last event name that was not a well-known one
}

// NewReader returns a Reader reading from r. maxEventBytes bounds the size of
// one line and of one event's data; a bound of zero or less selects
// DefaultMaxEventBytes.
func NewReader(r io.Reader, maxEventBytes int) *Reader {
	return newReader(r, maxEventBytes, readBufferSize)
}

// newReader is NewReader with a chosen read buffer size, so that tests can
// exercise lines longer than the buffer with small inputs.
func newReader(r io.Reader, maxEventBytes, bufSize int) *Reader {
	if maxEventBytes <= 0 {
		maxEventBytes = DefaultMaxEventBytes
	}
	return &Reader{br: bufio.NewReaderSize(r, bufSize), max: maxEventBytes}
}

// Reset discards the reader's state and makes it read from r, keeping its
// buffers and its bound, so that a pool of readers can serve many streams.
func (r *Reader) Reset(src io.Reader) {
	r.br.Reset(src)
	r.err, r.pending, r.rerr = nil, nil, nil
	r.skipLF, r.started = false, false
	r.line, r.data, r.comment = retain(r.line), retain(r.data), retain(r.comment)
}

// retain empties b, or drops it when it has grown past retainBytes.
func retain(b []byte) []byte {
	if cap(b) > retainBytes {
		return nil
	}
	return b[:0]
}

// Next returns the next event. A block without data and without an event name
// is skipped unless it holds a comment line: it is then returned as one event
// with Comment set, so that callers can count heartbeats as activity. Comment
// lines inside a block that has data or a name are ignored.
//
// At a clean end of stream Next returns io.EOF. When the stream ends inside an
// event (no blank line after it), the event is still returned if its data is
// valid JSON or "[DONE]"; otherwise Next returns io.ErrUnexpectedEOF. Errors
// are sticky.
func (r *Reader) Next() (Event, error) {
	if r.err != nil {
		return Event{}, r.err
	}
	r.data, r.comment = retain(r.data), retain(r.comment)
	var (
		name       string
		hasData    bool
		hasComment bool
	)
	for {
		line, err := r.readLine()
		if err != nil {
			if err != io.EOF {
				r.err = err
				return Event{}, err
			}
			r.err = io.EOF
			if !hasData && name == "" {
				// Nothing pending, or only comments, ids or retries: a clean end.
				return Event{}, io.EOF
			}
			if isCompletePayload(r.data) {
				return Event{Name: name, Data: r.data}, nil
			}
			r.err = io.ErrUnexpectedEOF
			return Event{}, r.err
		}

		if len(line) == 0 { // blank line: dispatch
			switch {
			case hasData || name != "":
				return Event{Name: name, Data: r.data}, nil
			case hasComment:
				return Event{Comment: true, Data: r.comment}, nil
			}
			// Only ids, retries or unknown fields: skip the block.
			r.data, r.comment = r.data[:0], r.comment[:0]
			continue
		}

		if line[0] == ':' {
			if err := r.addComment(line[1:], hasComment); err != nil {
				return Event{}, err
			}
			hasComment = true
			continue
		}
		field, value := splitField(line)
		switch string(field) {
		case "data":
			if hasData {
				r.data = append(r.data, '\n')
			}
			r.data = append(r.data, value...)
			hasData = true
			if len(r.data) > r.max {
				return Event{}, r.tooLarge()
			}
		case "event":
			name = r.intern(value)
		}
	}
}

// addComment appends one comment line's text to the block's comment text;
// more is true when the block already holds a comment line.
func (r *Reader) addComment(text []byte, more bool) error {
	if len(text) > 0 && text[0] == ' ' {
		text = text[1:]
	}
	if more {
		r.comment = append(r.comment, '\n')
	}
	r.comment = append(r.comment, text...)
	if len(r.comment) > r.max {
		return r.tooLarge()
	}
	return nil
}

func (r *Reader) tooLarge() error {
	r.err = ErrEventTooLarge
	r.data, r.comment, r.line = nil, nil, nil
	return r.err
}

// splitField splits a line at its first ':' and strips one optional space from
// the value. A line without ':' is a field with an empty value.
func splitField(line []byte) (field, value []byte) {
	i := bytes.IndexByte(line, ':')
	if i < 0 {
		return line, nil
	}
	value = line[i+1:]
	if len(value) > 0 && value[0] == ' ' {
		value = value[1:]
	}
	return line[:i], value
}

// isCompletePayload reports whether the data of an event cut off by EOF is
// whole: "[DONE]" or valid JSON.
func isCompletePayload(data []byte) bool {
	return string(data) == "[DONE]" || (len(data) > 0 && json.Valid(data))
}

// intern returns name as a string without allocating for the event names of
// the supported protocols, or for a repeat of the previous unknown name.
func (r *Reader) intern(name []byte) string {
	switch string(name) {
	case "":
		return ""
	case "message":
		return "message"
	case "message_start":
		return "message_start"
	case "message_delta":
		return "message_delta"
	case "message_stop":
		return "message_stop"
	case "content_block_start":
		return "content_block_start"
	case "content_block_delta":
		return "content_block_delta"
	case "content_block_stop":
		return "content_block_stop"
	case "ping":
		return "ping"
	case "error":
		return "error"
	case "response.created":
		return "response.created"
	case "response.in_progress":
		return "response.in_progress"
	case "response.output_item.added":
		return "response.output_item.added"
	case "response.output_item.done":
		return "response.output_item.done"
	case "response.content_part.added":
		return "response.content_part.added"
	case "response.content_part.done":
		return "response.content_part.done"
	case "response.output_text.delta":
		return "response.output_text.delta"
	case "response.output_text.done":
		return "response.output_text.done"
	case "response.function_call_arguments.delta":
		return "response.function_call_arguments.delta"
	case "response.function_call_arguments.done":
		return "response.function_call_arguments.done"
	case "response.reasoning_summary_text.delta":
		return "response.reasoning_summary_text.delta"
	case "response.completed":
		return "response.completed"
	case "response.incomplete":
		return "response.incomplete"
	case "response.failed":
		return "response.failed"
	case r.lastName:
		return r.lastName
	}
	r.lastName = string(name)
	return r.lastName
}
