package sse_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/protocol/anthropic"
	"github.com/switchyard-gw/switchyard/internal/protocol/openai"
	"github.com/switchyard-gw/switchyard/internal/sse"
)

// relayLoop replays one stream forever, so a benchmark reads as many events
// as it needs without allocating input.
type relayLoop struct {
	buf []byte
	off int
}

func (l *relayLoop) Read(p []byte) (int, error) {
	n := copy(p, l.buf[l.off:])
	l.off = (l.off + n) % len(l.buf)
	return n, nil
}

// anthropicStream is a typical Messages stream: start, one text block of
// deltas with a ping in between, stop events.
func anthropicStream(deltas int) (stream []byte, events int) {
	var b strings.Builder
	add := func(name, data string) {
		fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", name, data)
		events++
	}
	add("message_start", `{"type":"message_start","message":{"id":"msg_01AlKTmqLBqC4YGwophN7Q2C","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":33,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}`)
	add("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	for i := range deltas {
		if i == deltas/2 {
			add("ping", `{"type": "ping"}`)
		}
		add("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking the weather in Paris for you, one moment."}}`)
	}
	add("content_block_stop", `{"type":"content_block_stop","index":0}`)
	add("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":230}}`)
	add("message_stop", `{"type":"message_stop"}`)
	return []byte(b.String()), events
}

// openAIStream is a typical Chat Completions stream.
func openAIStream(deltas int) (stream []byte, events int) {
	var b strings.Builder
	add := func(data string) {
		fmt.Fprintf(&b, "data: %s\n\n", data)
		events++
	}
	add(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1767225600,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}`)
	for range deltas {
		add(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1767225600,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":"Checking the weather in Paris"},"finish_reason":null}],"usage":null}`)
	}
	add(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1767225600,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}`)
	add(`[DONE]`)
	return []byte(b.String()), events
}

// BenchmarkRelayEvent is the gateway's per-event work on a committed stream,
// without the network: read one event with sse.Reader, classify it, append
// it to the client buffer with sse.AppendEvent and write it out. One op is
// one event.
func BenchmarkRelayEvent(b *testing.B) {
	cases := []struct {
		name     string
		stream   func(int) ([]byte, int)
		classify func(sse.Event) (sse.Kind, bool)
	}{
		{"anthropic", anthropicStream, anthropic.Classify},
		{"openai", openAIStream, openai.Classify},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			stream, events := c.stream(50)
			r := sse.NewReader(&relayLoop{buf: stream}, 0)
			buf := make([]byte, 0, 4096)
			b.SetBytes(int64(len(stream) / events))
			b.ReportAllocs()
			for b.Loop() {
				ev, err := r.Next()
				if err != nil {
					b.Fatal(err)
				}
				if k, _ := c.classify(ev); k == sse.KindSkip {
					continue
				}
				buf = sse.AppendEvent(buf[:0], ev.Name, ev.Data)
				if _, err := io.Discard.Write(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
