package anthropic

import (
	"bytes"
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
	for _, k := range []llm.ErrorKind{llm.KindInvalidRequest, llm.KindAuthentication, llm.KindPermission, llm.KindNotFound,
		llm.KindTooLarge, llm.KindRateLimit, llm.KindServer, llm.KindOverloaded, llm.KindTimeout} {
		e := llm.Errorf(k, "message for %s", k)
		out.Write(ErrorBody(e))
		out.WriteByte('\n')
		out.Write(StreamError(e))
	}
	out.Write(KeepAlive())
	golden(t, "errors.golden", out.Bytes())
}

func TestProbeAndRewrite(t *testing.T) {
	in := []byte(`{"model":"claude-sonnet-4-5","max_tokens":10,"stream":true,"metadata":{"user_id":"u"},"messages":[]}`)
	p, err := ProbeRequest(in)
	if err != nil || p.Model != "claude-sonnet-4-5" || !p.Stream {
		t.Fatalf("probe: %+v %v", p, err)
	}
	out, rerr := RewriteModel(in, "claude-sonnet-4-5-20250929")
	if rerr != nil || !bytes.Equal(out, bytes.Replace(in, []byte(`"claude-sonnet-4-5"`), []byte(`"claude-sonnet-4-5-20250929"`), 1)) {
		t.Fatalf("rewrite: %s %v", out, rerr)
	}
	for _, bad := range []string{`{}`, `{"model":null}`, `nope`, `{"model":"m","stream":1}`} {
		if _, err := ProbeRequest([]byte(bad)); err == nil || err.Status != 400 {
			t.Fatalf("%s: want a 400, got %v", bad, err)
		}
	}
}

func TestScanAnswerStream(t *testing.T) {
	var a llm.Answer
	for _, ev := range []string{
		`{"type":"message_start","message":{"id":"m","model":"claude-sonnet-4-5","usage":{"input_tokens":37,"cache_creation_input_tokens":5,"cache_read_input_tokens":4800,"output_tokens":1}}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}`,
		`{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":95}}`,
	} {
		ScanAnswer([]byte(ev), &a)
	}
	want := llm.Usage{InputTokens: 37, OutputTokens: 95, CacheRead: 4800, CacheWrite: 5}
	if a.Usage != want || a.Model != "claude-sonnet-4-5" || len(a.FinishReasons) != 1 || a.FinishReasons[0] != "tool_use" {
		t.Fatalf("got %+v", a)
	}
}

func FuzzProbeRequest(f *testing.F) {
	for _, s := range []string{`{"model":"claude-x","stream":true,"messages":[]}`, `{"model":1}`, `{`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ProbeRequest(body)
		if err != nil {
			if err.Status != 400 {
				t.Fatalf("status %d", err.Status)
			}
			return
		}
		if p.Model == "" {
			t.Fatal("accepted a request without model")
		}
		var a llm.Answer
		ScanAnswer(body, &a)
	})
}
