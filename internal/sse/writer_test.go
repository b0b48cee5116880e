package sse

import (
	"testing"
)

func TestAppendEvent(t *testing.T) {
	tests := []struct {
		name string
		ev   string
		data string
		want string
	}{
		{"data only", "", `{"a":1}`, "data: {\"a\":1}\n\n"},
		{"done", "", "[DONE]", "data: [DONE]\n\n"},
		{"named", "ping", `{"type":"ping"}`, "event: ping\ndata: {\"type\":\"ping\"}\n\n"},
		{"empty data", "message_stop", "", "event: message_stop\ndata: \n\n"},
		{"multi-line data", "", "a\nb", "data: a\ndata: b\n\n"},
		{"crlf and cr in data", "", "a\r\nb\rc", "data: a\ndata: b\ndata: c\n\n"},
		{"trailing newline", "", "a\n", "data: a\ndata: \n\n"},
		{"name cut at line break", "bad\nevent: evil", "x", "event: bad\ndata: x\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("prev")
			got := AppendEvent(prefix, tt.ev, []byte(tt.data))
			if string(got) != "prev"+tt.want {
				t.Errorf("got %q; want %q", got, "prev"+tt.want)
			}
		})
	}
}

func TestAppendComment(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"keep-alive", "keep-alive", ": keep-alive\n\n"},
		{"empty", "", ": \n\n"},
		{"multi-line", "a\nb", ": a\n: b\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AppendComment(nil, tt.text); string(got) != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func BenchmarkAppendEvent(b *testing.B) {
	data := []byte(`{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Checking."}}`)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendEvent(buf[:0], "content_block_delta", data)
	}
}
