package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzReader feeds arbitrary bytes to the reader, whole and one byte at a
// time. It must not panic, must end with an error within a bounded number of
// calls, must never return more data than its bound, and must not depend on
// how the stream is split into reads. The read buffer is 16+buf bytes, so that
// small inputs exercise lines longer than the buffer ("giant" lines).
func FuzzReader(f *testing.F) {
	f.Add([]byte("data: {\"a\":1}\r\n\r\ndata: [DONE]\r\n\r\n"), uint16(0), uint8(255))
	f.Add([]byte("event: ping\rdata: x\r\r: c\r\r"), uint16(0), uint8(0))
	f.Add([]byte("\xEF\xBB\xBFdata: \"h\xc3\xa9\"\n\n"), uint16(12), uint8(0))
	f.Add([]byte("data: "+strings.Repeat("y", 300)+"\r\n\r\n"), uint16(0), uint8(0))
	f.Fuzz(func(t *testing.T, in []byte, max uint16, buf uint8) {
		size := 16 + int(buf)
		whole, wholeErr := fuzzRead(t, newReader(bytes.NewReader(in), int(max), size), len(in), int(max))
		split, splitErr := fuzzRead(t, newReader(iotest.OneByteReader(bytes.NewReader(in)), int(max), size), len(in), int(max))
		if whole != split || wholeErr != splitErr {
			t.Fatalf("whole read gave %s, %v; one-byte reads gave %s, %v", whole, wholeErr, split, splitErr)
		}
	})
}

// fuzzRead reads r to its end and returns a transcript of the events.
func fuzzRead(t *testing.T, r *Reader, inLen, max int) (string, error) {
	if max == 0 {
		max = DefaultMaxEventBytes
	}
	var out strings.Builder
	// Every event consumes at least one byte of input.
	for range inLen + 2 {
		e, err := r.Next()
		if err != nil {
			if err != io.EOF && err != io.ErrUnexpectedEOF && !errors.Is(err, ErrEventTooLarge) {
				t.Fatalf("unexpected error %v", err)
			}
			return out.String(), err
		}
		if len(e.Data) > max {
			t.Fatalf("event of %d bytes exceeds the bound %d", len(e.Data), max)
		}
		if e.Comment && e.Name != "" {
			t.Fatalf("comment event with name %q", e.Name)
		}
		fmt.Fprintf(&out, "%q %q %t\n", e.Name, e.Data, e.Comment)
	}
	t.Fatalf("no end after %d events from %d bytes", inLen+2, inLen)
	return "", nil
}

// FuzzAppendEvent checks that whatever AppendEvent writes reads back as the
// same event (line breaks in data come back as "\n").
func FuzzAppendEvent(f *testing.F) {
	f.Add("content_block_delta", []byte(`{"type":"content_block_delta"}`))
	f.Add("", []byte("a\r\nb\rc\n"))
	f.Add("x\ny", []byte(""))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		out := AppendEvent(nil, name, data)
		e, err := NewReader(bytes.NewReader(out), 0).Next()
		if err != nil {
			t.Fatalf("reading %q: %v", out, err)
		}
		wantName := firstLineOf(name)
		wantData := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(string(data))
		if e.Name != wantName || string(e.Data) != wantData || e.Comment {
			t.Fatalf("read back %q, %q, %t; want %q, %q", e.Name, e.Data, e.Comment, wantName, wantData)
		}
	})
}
