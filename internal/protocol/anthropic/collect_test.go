package anthropic

import (
	"testing"

	"github.com/tidwall/gjson"
)

func TestCollectorRebuildsMessage(t *testing.T) {
	events := []string{
		`{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":37,"cache_read_input_tokens":4800,"output_tokens":1}}}`,
		`{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"User wants "}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"weather."}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EpUBCkYIBxgCKkA"}}`,
		`{"type":"content_block_stop","index":0}`,
		`{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}`,
		`{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Check"}}`,
		`{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"ing."}}`,
		`{"type":"content_block_stop","index":1}`,
		`{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}`,
		`{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Par"}}`,
		`{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"is\"}"}}`,
		`{"type":"content_block_stop","index":2}`,
		`{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":95}}`,
		`{"type":"message_stop"}`,
	}
	var c Collector
	for _, e := range events {
		c.Add([]byte(e))
	}
	out, err := c.JSON()
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]string{
		"id":                            "msg_1",
		"content.0.type":                "thinking",
		"content.0.thinking":            "User wants weather.",
		"content.0.signature":           "EpUBCkYIBxgCKkA",
		"content.1.text":                "Checking.",
		"content.2.input.city":          "Paris",
		"stop_reason":                   "tool_use",
		"usage.output_tokens":           "95",
		"usage.input_tokens":            "37",
		"usage.cache_read_input_tokens": "4800",
	}
	for path, want := range checks {
		if got := gjson.GetBytes(out, path).String(); got != want {
			t.Errorf("%s = %q; want %q\n%s", path, got, want, out)
		}
	}
}
