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

// ev is a comparable copy of an Event for test tables.
type ev struct {
	name    string
	data    string
	comment bool
}

func (e ev) String() string {
	if e.comment {
		return fmt.Sprintf("comment(%q)", e.data)
	}
	return fmt.Sprintf("event(%q, %q)", e.name, e.data)
}

// readAll reads events until an error and returns copies of them with the
// error that ended the stream.
func readAll(r *Reader) ([]ev, error) {
	var out []ev
	for {
		e, err := r.Next()
		if err != nil {
			return out, err
		}
		out = append(out, ev{name: e.Name, data: string(e.Data), comment: e.Comment})
	}
}

// chunkings are the ways a stream can be delivered; the result must not depend
// on where the reads split it.
var chunkings = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"onebyte", iotest.OneByteReader},
	{"half", iotest.HalfReader},
	{"dataerr", iotest.DataErrReader},
}

func TestReaderNext(t *testing.T) {
	bigLine := strings.Repeat("x", 3*readBufferSize+17)
	tests := []struct {
		name    string
		in      string
		max     int
		want    []ev
		wantErr error
	}{
		{name: "empty stream", in: "", wantErr: io.EOF},
		{name: "only blank lines", in: "\n\n\r\n\r", wantErr: io.EOF},
		{name: "data", in: "data: {}\n\n", want: []ev{{data: "{}"}}, wantErr: io.EOF},
		{name: "no space after colon", in: "data:{}\n\n", want: []ev{{data: "{}"}}, wantErr: io.EOF},
		{name: "only one space stripped", in: "data:  x\n\n", want: []ev{{data: " x"}}, wantErr: io.EOF},
		{name: "value keeps later colons", in: "data: a: b\n\n", want: []ev{{data: "a: b"}}, wantErr: io.EOF},
		{name: "crlf", in: "data: a\r\n\r\ndata: b\r\n\r\n", want: []ev{{data: "a"}, {data: "b"}}, wantErr: io.EOF},
		{name: "bare cr", in: "data: a\r\rdata: b\r\r", want: []ev{{data: "a"}, {data: "b"}}, wantErr: io.EOF},
		{name: "mixed endings", in: "event: e\rdata: a\r\n\nevent: f\ndata: b\r\r\n", want: []ev{{"e", "a", false}, {"f", "b", false}}, wantErr: io.EOF},
		{name: "multi-line data", in: "data: a\ndata:\ndata: c\n\n", want: []ev{{data: "a\n\nc"}}, wantErr: io.EOF},
		{name: "event name", in: "event: message_start\ndata: {\"type\":\"message_start\"}\n\n", want: []ev{{"message_start", `{"type":"message_start"}`, false}}, wantErr: io.EOF},
		{name: "unknown event name", in: "event: custom.thing\ndata: 1\n\nevent: custom.thing\ndata: 2\n\n", want: []ev{{"custom.thing", "1", false}, {"custom.thing", "2", false}}, wantErr: io.EOF},
		{name: "last event field wins", in: "event: a\nevent: b\ndata: x\n\n", want: []ev{{"b", "x", false}}, wantErr: io.EOF},
		{name: "name without data", in: "event: ping\n\n", want: []ev{{name: "ping"}}, wantErr: io.EOF},
		{name: "empty data field", in: "data:\n\n", want: []ev{{}}, wantErr: io.EOF},
		{name: "field without colon", in: "data\n\n", want: []ev{{}}, wantErr: io.EOF},
		{name: "empty event name is absent", in: "event:\n\n", wantErr: io.EOF},
		{name: "comment block", in: ": keep-alive\n\n", want: []ev{{data: "keep-alive", comment: true}}, wantErr: io.EOF},
		{name: "bare colon comment", in: ":\n\n", want: []ev{{comment: true}}, wantErr: io.EOF},
		{name: "comment lines joined", in: ":a\n: b\n\n", want: []ev{{data: "a\nb", comment: true}}, wantErr: io.EOF},
		{name: "comment with id", in: ": OPENROUTER PROCESSING\nid: 7\n\n", want: []ev{{data: "OPENROUTER PROCESSING", comment: true}}, wantErr: io.EOF},
		{name: "comment inside data event ignored", in: ": hi\ndata: x\n: there\n\n", want: []ev{{data: "x"}}, wantErr: io.EOF},
		{name: "id retry unknown skipped", in: "id: 1\nretry: 10\nfoo: bar\n\ndata: x\n\n", want: []ev{{data: "x"}}, wantErr: io.EOF},
		{name: "fields are case sensitive", in: "Data: x\nEVENT: y\n\n", wantErr: io.EOF},
		{name: "bom skipped", in: "\xEF\xBB\xBFdata: x\n\n", want: []ev{{data: "x"}}, wantErr: io.EOF},
		{name: "bom only at start", in: "data: x\n\n\xEF\xBB\xBFdata: y\n\n", want: []ev{{data: "x"}}, wantErr: io.EOF},
		{name: "split multi-byte utf-8", in: "data: \"h\xc3\xa9llo \xf0\x9f\x98\x80\"\n\n", want: []ev{{data: "\"h\u00e9llo \U0001F600\""}}, wantErr: io.EOF},
		{name: "many blank lines between", in: "data: a\n\n\n\n\ndata: b\n\n", want: []ev{{data: "a"}, {data: "b"}}, wantErr: io.EOF},
		{name: "eof after unterminated json", in: "data: {\"a\":1}\n", want: []ev{{data: `{"a":1}`}}, wantErr: io.EOF},
		{name: "eof inside last line json", in: "data: {\"a\":1}", want: []ev{{data: `{"a":1}`}}, wantErr: io.EOF},
		{name: "eof after unterminated done", in: "data: [DONE]", want: []ev{{data: "[DONE]"}}, wantErr: io.EOF},
		{name: "eof after cr", in: "data: {}\r", want: []ev{{data: "{}"}}, wantErr: io.EOF},
		{name: "eof inside json", in: "data: {\"a\":", wantErr: io.ErrUnexpectedEOF},
		{name: "eof after partial second event", in: "data: 1\n\ndata: {\"a\"", want: []ev{{data: "1"}}, wantErr: io.ErrUnexpectedEOF},
		{name: "eof after name only", in: "event: message_stop\n", wantErr: io.ErrUnexpectedEOF},
		{name: "eof after empty data", in: "data:\n", wantErr: io.ErrUnexpectedEOF},
		{name: "eof inside comment block", in: "data: 1\n\n: ping\n", want: []ev{{data: "1"}}, wantErr: io.EOF},
		{name: "eof after id only", in: "id: 3", wantErr: io.EOF},
		{name: "giant line", in: "data: " + bigLine + "\n\n", want: []ev{{data: bigLine}}, wantErr: io.EOF},
		{name: "giant line crlf", in: "data: " + bigLine + "\r\n\r\n", want: []ev{{data: bigLine}}, wantErr: io.EOF},
		{name: "line at bound", in: "data: 12\n\n", max: 8, want: []ev{{data: "12"}}, wantErr: io.EOF},
		{name: "line over bound", in: "data: 123\n\n", max: 8, wantErr: ErrEventTooLarge},
		{name: "giant line over bound", in: "data: " + bigLine + "\n\n", max: readBufferSize, wantErr: ErrEventTooLarge},
		{name: "data at bound", in: "data: 1234\ndata:56789\n\n", max: 10, want: []ev{{data: "1234\n56789"}}, wantErr: io.EOF},
		{name: "data over bound", in: "data: 1234\ndata: 5678\ndata: 9\n\n", max: 10, wantErr: ErrEventTooLarge},
		{name: "comments over bound", in: ": 12345\n: 12345\n\n", max: 10, wantErr: ErrEventTooLarge},
		{name: "event before oversized one survives", in: "data: a\n\ndata: 123456789\n\n", max: 10, want: []ev{{data: "a"}}, wantErr: ErrEventTooLarge},
	}
	for _, tt := range tests {
		for _, c := range chunkings {
			t.Run(tt.name+"/"+c.name, func(t *testing.T) {
				r := NewReader(c.wrap(strings.NewReader(tt.in)), tt.max)
				got, err := readAll(r)
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("events = %v; want %v", got, tt.want)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("err = %v; want %v", err, tt.wantErr)
				}
				if _, again := r.Next(); again != err {
					t.Errorf("second Next err = %v; want sticky %v", again, err)
				}
			})
		}
	}
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	// The partial line before the error must not be taken for a final line.
	src := io.MultiReader(strings.NewReader("data: 1\n\ndata: {}"), iotest.ErrReader(boom))
	got, err := readAll(NewReader(src, 0))
	if want := []ev{{data: "1"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events = %v; want %v", got, want)
	}
	if err != boom {
		t.Errorf("err = %v; want %v", err, boom)
	}
}

func TestReaderDataValidUntilNext(t *testing.T) {
	r := NewReader(strings.NewReader("data: aaaa\n\ndata: bbbb\n\n"), 0)
	first, _ := r.Next()
	kept := bytes.Clone(first.Data)
	second, _ := r.Next()
	if string(kept) != "aaaa" || string(second.Data) != "bbbb" {
		t.Errorf("got %q then %q; want \"aaaa\" then \"bbbb\"", kept, second.Data)
	}
}

func TestReaderReset(t *testing.T) {
	r := NewReader(strings.NewReader("data: 1234567890123\n\n"), 12)
	if _, err := r.Next(); err != ErrEventTooLarge {
		t.Fatalf("err = %v; want %v", err, ErrEventTooLarge)
	}
	r.Reset(strings.NewReader("\xEF\xBB\xBFdata: ok\r"))
	got, err := readAll(r)
	if want := []ev{}; len(got) != len(want) || err != io.ErrUnexpectedEOF {
		t.Errorf("after Reset got %v, %v; want %v, %v", got, err, want, io.ErrUnexpectedEOF)
	}
	r.Reset(strings.NewReader("\xEF\xBB\xBFdata: ok\r\r"))
	got, err = readAll(r)
	if want := []ev{{data: "ok"}}; fmt.Sprint(got) != fmt.Sprint(want) || err != io.EOF {
		t.Errorf("after second Reset got %v, %v; want %v, %v", got, err, want, io.EOF)
	}
}

// cycle is an endless reader repeating one stream, for benchmarks.
type cycle struct {
	buf []byte
	off int
}

func (c *cycle) Read(p []byte) (int, error) {
	n := copy(p, c.buf[c.off:])
	c.off = (c.off + n) % len(c.buf)
	return n, nil
}

func BenchmarkReaderNext(b *testing.B) {
	stream := []byte("event: content_block_delta\n" +
		`data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Checking the weather in Paris for you."}}` + "\n\n" +
		"event: ping\ndata: {\"type\": \"ping\"}\n\n" +
		`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1767225600,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}],"usage":null}` + "\r\n\r\n" +
		": keep-alive\n\n")
	r := NewReader(&cycle{buf: stream}, 0)
	b.SetBytes(int64(len(stream)) / 4)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Next(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBufferedSeesAWholeNextEvent(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     []bool // Buffered after each Next
	}{
		{"two whole events", "data: a\n\ndata: b\n\n", []bool{true, false}},
		{"second cut", "data: a\n\ndata: b", []bool{false}},
		{"crlf", "data: a\r\n\r\ndata: b\r\n\r\n", []bool{true, false}},
		{"comment next", "data: a\n\n: ping\n\n", []bool{true, false}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(&slowReader{s: tt.in}, 0)
			for i, want := range tt.want {
				if _, err := r.Next(); err != nil {
					t.Fatalf("event %d: %v", i, err)
				}
				if got := r.Buffered(); got != want {
					t.Errorf("after event %d: Buffered() = %t; want %t", i, got, want)
				}
			}
		})
	}
}

// slowReader hands out all its input in one read and io.EOF only on the
// read after that, as a network stream does.
type slowReader struct {
	s   string
	off int
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.off >= len(r.s) {
		return 0, io.EOF
	}
	n := copy(p, r.s[r.off:])
	r.off += n
	return n, nil
}
