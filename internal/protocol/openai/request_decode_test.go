package openai

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

func TestDecodeRequestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/requests/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no request fixtures: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r, e := DecodeRequest(body)
			if e != nil {
				t.Fatalf("decode: %v", e)
			}
			golden(t, "decode_"+name+".golden", dumpJSON(t, r))
		})
	}
}

func TestDecodeRequestValues(t *testing.T) {
	body, _ := os.ReadFile("testdata/requests/tools_parallel.json")
	r, e := DecodeRequest(body)
	if e != nil {
		t.Fatal(e)
	}
	if len(r.System) != 1 || r.System[0].Text != "Use tools." {
		t.Fatalf("system %+v", r.System)
	}
	// user, assistant(3 calls), user(3 results + reminder + text)
	if len(r.Messages) != 3 {
		t.Fatalf("got %d messages", len(r.Messages))
	}
	calls := r.Messages[1].Parts
	if len(calls) != 3 || string(calls[0].ToolCall.Args) != `{"city":"Paris"}` ||
		string(calls[1].ToolCall.Args) != `{}` || string(calls[2].ToolCall.Args) != `{}` || calls[2].Signature != "c2lnLWM=" {
		t.Fatalf("calls %+v", calls)
	}
	res := r.Messages[2].Parts
	if len(res) != 5 {
		t.Fatalf("results %+v", res)
	}
	for i, id := range []string{"call_A", "call_B", "call_C"} {
		if res[i].Type != llm.PartToolResult || res[i].ToolResult.CallID != id {
			t.Fatalf("part %d: %+v", i, res[i])
		}
	}
	if res[1].ToolResult.Name != "get_time" || res[1].ToolResult.Content[0].Text != "09:00\nJST" {
		t.Fatalf("result B %+v", res[1].ToolResult)
	}
	if res[3].Text != "<system-reminder>Be brief.</system-reminder>" || res[4].Text != "Thanks, summarise." {
		t.Fatalf("tail %+v", res[3:])
	}
	if r.MaxTokens != 4000 || r.Thinking == nil || r.Thinking.Effort != "high" || r.Thinking.Budget != 24576 ||
		r.ToolChoice.Mode != llm.ToolAny || *r.ParallelToolCalls || len(r.Stop) != 2 ||
		r.Format.Type != "json_schema" || r.Format.Name != "summary" {
		t.Fatalf("params %+v", r)
	}
}

func TestDecodeRequestImagesAndEffort(t *testing.T) {
	body, _ := os.ReadFile("testdata/requests/images.json")
	r, e := DecodeRequest(body)
	if e != nil {
		t.Fatal(e)
	}
	p := r.Messages[0].Parts
	if p[1].Image.MediaType != "image/png" || p[1].Image.Data != "iVBORw0KGgo=" || p[2].Image.URL != "https://example.com/cat.jpg" {
		t.Fatalf("images %+v %+v", p[1].Image, p[2].Image)
	}
	if r.ToolChoice.Mode != llm.ToolName || r.ToolChoice.Name != "zoom" || r.Format.Type != "json_object" ||
		r.User != "sid-1" || *r.TopK != 40 || r.Thinking.Budget != 1024 {
		t.Fatalf("params %+v", r)
	}
	r, e = DecodeRequest([]byte(`{"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":"none"}`))
	if e != nil || r.Thinking == nil || r.Thinking.Enabled {
		t.Fatalf("none effort: %+v %v", r.Thinking, e)
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	const secret = "TOPSECRETPROMPT"
	cases := []struct{ body, field string }{
		{`{"model":"m","messages":[{"role":"function","name":"f","content":"` + secret + `"}]}`, `"function"`},
		{`{"model":"m","messages":[{"role":"wizard","content":"` + secret + `"}]}`, "messages[0].role"},
		{`{"model":"m","messages":[{"content":"x"}]}`, "messages[0].role"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"` + secret + `"}}]}]}`, "messages[0].content[0].type"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,` + secret + `"}}]}]}`, "base64"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"file:///` + secret + `"}}]}]}`, "messages[0].content[0].image_url.url"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, "image_url.url"},
		{`{"model":"m","messages":[{"role":"user","content":5}]}`, "messages[0].content"},
		{`{"model":"m","messages":[{"role":"tool","content":"` + secret + `"}]}`, "tool_call_id"},
		{`{"model":"m","messages":[{"role":"assistant","function_call":{"name":"f","arguments":"{}"}}]}`, "function_call"},
		{`{"model":"m","messages":[{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f"}}]}]}`, "tool_calls[0]"},
		{`{"model":"m","messages":{"role":"user"}}`, "messages"},
		{`{"model":"m","tools":[{"type":"custom","custom":{"name":"x"}}]}`, "tools[0].type"},
		{`{"model":"m","tools":[{"type":"function","function":{}}]}`, "tools[0].function.name"},
		{`{"model":"m","tool_choice":"always"}`, "tool_choice"},
		{`{"model":"m","tool_choice":{"type":"allowed_tools"}}`, "tool_choice"},
		{`{"model":"m","reasoning_effort":"max"}`, "reasoning_effort"},
		{`{"model":"m","stop":5}`, "stop"},
		{`{"model":"m","response_format":{"type":"xml"}}`, "response_format.type"},
		{`{"model":"m","response_format":{"type":"json_schema"}}`, "response_format.json_schema"},
		{`{"model":"m","max_tokens":-1}`, "max_tokens"},
		{`{"model":"m","max_completion_tokens":"a"}`, "max_completion_tokens"},
		{`{"model":"m","temperature":"hot"}`, "temperature"},
		{`{"model":"m","n":3}`, "n:"},
		{`{"model":"m"`, "JSON"},
		{`{"model":"m"} {}`, "single JSON object"},
		{`[1]`, "JSON object"},
	}
	for _, c := range cases {
		r, e := DecodeRequest([]byte(c.body))
		if e == nil {
			t.Errorf("%s: accepted: %+v", c.body, r)
			continue
		}
		if e.Status != 400 || e.Kind != llm.KindInvalidRequest {
			t.Errorf("%s: %v", c.body, e)
		}
		if !strings.Contains(e.Message, c.field) {
			t.Errorf("%s: message %q does not name %q", c.body, e.Message, c.field)
		}
		if strings.Contains(e.Message, secret) {
			t.Errorf("%s: message echoes prompt text: %q", c.body, e.Message)
		}
	}
}

func TestDecodeRequestMidSystemBetweenToolCallAndResult(t *testing.T) {
	body := `{"model":"m","messages":[{"role":"user","content":"go"},
	{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":[1, 2]}"}}]},
	{"role":"system","content":"note"},
	{"role":"tool","tool_call_id":"c1","content":"ok"},
	{"role":"user","content":""}]}`
	r, e := DecodeRequest([]byte(body))
	if e != nil {
		t.Fatal(e)
	}
	if len(r.System) != 0 || len(r.Messages) != 3 {
		t.Fatalf("%+v", r)
	}
	if string(r.Messages[1].Parts[0].ToolCall.Args) != `{"a":[1,2]}` {
		t.Fatalf("args %s", r.Messages[1].Parts[0].ToolCall.Args)
	}
	last := r.Messages[2].Parts
	if len(last) != 2 || last[0].Type != llm.PartToolResult || last[0].ToolResult.Name != "f" ||
		last[1].Text != "<system-reminder>note</system-reminder>" {
		t.Fatalf("last %+v", last)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	files, _ := filepath.Glob("testdata/requests/*.json")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, e := DecodeRequest(body)
		if e != nil {
			if e.Status != 400 || e.Message == "" {
				t.Fatalf("bad error %+v", e)
			}
			return
		}
		for _, m := range r.Messages {
			for _, p := range m.Parts {
				if p.Type == llm.PartToolCall && !json.Valid(p.ToolCall.Args) {
					t.Fatalf("invalid args %q", p.ToolCall.Args)
				}
			}
		}
		out, err := EncodeRequest(r, "m")
		if err != nil || !json.Valid(out) {
			t.Fatalf("re-encode: %v %s", err, out)
		}
	})
}
