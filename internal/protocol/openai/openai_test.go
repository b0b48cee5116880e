package openai

import (
	"bytes"
	"encoding/json"
	"flag"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol/protocoltest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	protocoltest.Golden(t, name, got, *update)
}

func TestErrorEnvelopesGolden(t *testing.T) {
	var out bytes.Buffer
	for _, k := range []llm.ErrorKind{llm.KindInvalidRequest, llm.KindAuthentication, llm.KindNotFound, llm.KindTooLarge,
		llm.KindRateLimit, llm.KindServer, llm.KindOverloaded, llm.KindTimeout} {
		e := llm.Errorf(k, "message for %s", k)
		out.Write(ErrorBody(e))
		out.WriteByte('\n')
		out.Write(StreamError(e))
	}
	golden(t, "errors.golden", out.Bytes())
}

func TestProbeRequest(t *testing.T) {
	cases := []struct {
		body   string
		model  string
		stream bool
		bad    bool
	}{
		{`{"model":"gpt-4o","messages":[]}`, "gpt-4o", false, false},
		{`{"model":"gpt-4o","stream":true}`, "gpt-4o", true, false},
		{`{"model":"gpt-4o","stream":null}`, "gpt-4o", false, false},
		{`{"stream":true,"model":"o3"}`, "o3", true, false},
		{`{"model":""}`, "", false, true},
		{`{"model":5}`, "", false, true},
		{`{"model":"x","stream":"yes"}`, "", false, true},
		{`[1,2]`, "", false, true},
		{`{"model":"x"`, "", false, true},
		{``, "", false, true},
	}
	for _, tc := range cases {
		p, err := ProbeRequest([]byte(tc.body))
		if (err != nil) != tc.bad {
			t.Fatalf("%s: err = %v; want bad=%v", tc.body, err, tc.bad)
		}
		if err != nil {
			if err.Status != 400 {
				t.Fatalf("%s: status %d; want 400", tc.body, err.Status)
			}
			continue
		}
		if p.Model != tc.model || p.Stream != tc.stream {
			t.Fatalf("%s: got %+v", tc.body, p)
		}
	}
}

func TestRewriteModelKeepsEveryOtherByte(t *testing.T) {
	in := []byte(`{"model":"gpt-4o","unknown_field":{"x":[1,2.50,"é"]},"messages":[{"role":"user","content":"hi"}],"stream":true}`)
	out, err := RewriteModel(in, "gpt-4o-2024-08-06")
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Replace(in, []byte(`"gpt-4o"`), []byte(`"gpt-4o-2024-08-06"`), 1)
	if !bytes.Equal(out, want) {
		t.Fatalf("got %s\nwant %s", out, want)
	}
}

func TestScanAnswer(t *testing.T) {
	var a llm.Answer
	ScanAnswer([]byte(`{"id":"c","model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"content":"x"},"finish_reason":"stop"}],
	"usage":{"prompt_tokens":812,"completion_tokens":45,"total_tokens":857,"prompt_tokens_details":{"cached_tokens":512},"completion_tokens_details":{"reasoning_tokens":7}}}`), &a)
	want := llm.Usage{InputTokens: 300, OutputTokens: 45, CacheRead: 512, ReasoningTokens: 7}
	if a.Usage != want || a.Model != "gpt-4o-2024-08-06" || len(a.FinishReasons) != 1 || a.FinishReasons[0] != "stop" {
		t.Fatalf("got %+v", a)
	}
	var s llm.Answer
	for _, ev := range []string{
		`{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}],"usage":null}`,
		`{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":null}`,
		`{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}`,
	} {
		ScanAnswer([]byte(ev), &s)
	}
	if s.Usage.InputTokens != 9 || s.Usage.OutputTokens != 2 || len(s.FinishReasons) != 1 || s.FinishReasons[0] != "tool_calls" {
		t.Fatalf("stream scan got %+v", s)
	}
}

func FuzzProbeRequest(f *testing.F) {
	for _, s := range []string{`{"model":"gpt-4o","stream":true}`, `{"model":"x","messages":[{"role":"user","content":"hi"}]}`, `[]`, `{"model":`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ProbeRequest(body)
		if err != nil {
			if err.Status != 400 || len(ErrorBody(err)) == 0 {
				t.Fatalf("bad error %+v", err)
			}
			return
		}
		if p.Model == "" {
			t.Fatal("accepted a request without model")
		}
		out, rerr := RewriteModel(body, "mapped-model")
		if rerr != nil {
			return
		}
		var v map[string]any
		if json.Unmarshal(out, &v) == nil && v["model"] != "mapped-model" {
			t.Fatalf("rewrite lost the model: %s", out)
		}
	})
}
