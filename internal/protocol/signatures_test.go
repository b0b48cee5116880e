package protocol_test

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol/anthropic"
	"github.com/switchyard-gw/switchyard/internal/protocol/gemini"
	"github.com/switchyard-gw/switchyard/internal/protocol/openai"
	"github.com/switchyard-gw/switchyard/internal/protocol/responses"
)

var (
	rawGemini    = strings.Repeat("R2VtaW5p", 11)        // 88 base64 characters
	rawAnthropic = strings.Repeat("QW50aHJv", 15)        // 120
	fromGemini   = llm.TagSignature("gemini", rawGemini) // as an earlier translated turn showed it
	fromAnthr    = llm.TagSignature("anthropic", rawAnthropic)
)

func TestDropForeignSignaturesAnthropic(t *testing.T) {
	body := `{"model":"claude-x","x_keep":{"a":[1,2]},"messages":[` +
		`{"role":"user","content":"hi"},` +
		`{"role":"assistant","content":[{"type":"thinking","thinking":"from gemini","signature":"` + fromGemini + `"},{"type":"text","text":"ok"}]},` +
		`{"role":"user","content":"again"},` +
		`{"role":"assistant","content":[{"type":"thinking","thinking":"unsigned by openai","signature":"` + llm.TagSignature("openai", "") + `"},{"type":"text","text":"ok"}]},` +
		`{"role":"user","content":"more"},` +
		`{"role":"assistant","content":[{"type":"redacted_thinking","data":"` + fromGemini + `"},{"type":"thinking","thinking":"mine","signature":"` + fromAnthr + `"},{"type":"thinking","thinking":"real","signature":"` + rawAnthropic + `"}]}]}`
	got := string(anthropic.DropForeignSignatures([]byte(body)))
	m1 := gjson.Get(got, "messages.1.content")
	if m1.Get("0.type").Str != "text" || m1.Get("0.text").Str != "from gemini" || m1.Get("1.text").Str != "ok" {
		t.Errorf("gemini-signed thinking not turned into text: %s", m1.Raw)
	}
	if m3 := gjson.Get(got, "messages.3.content.0"); m3.Get("type").Str != "text" || m3.Get("text").Str != "unsigned by openai" {
		t.Errorf("thinking marked unsigned not turned into text: %s", m3.Raw)
	}
	m3 := gjson.Get(got, "messages.5.content")
	if n := len(m3.Array()); n != 2 {
		t.Fatalf("foreign redacted thinking kept: %s", m3.Raw)
	}
	if m3.Get("0.signature").Str != rawAnthropic || m3.Get("1.signature").Str != rawAnthropic {
		t.Errorf("own signatures must lose only their tag: %s", m3.Raw)
	}
	if gjson.Get(got, "x_keep").Raw != `{"a":[1,2]}` || strings.Contains(got, llm.TagSignature("gemini", "")+"R2Vt") {
		t.Errorf("other fields or a tag leaked: %s", got)
	}

	plain := []byte(`{"model":"claude-x","messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"` + rawAnthropic + `"}]}]}`)
	if out := anthropic.DropForeignSignatures(plain); &out[0] != &plain[0] {
		t.Error("a body without tags must be returned as it is")
	}
}

func TestDropForeignSignaturesGemini(t *testing.T) {
	body := `{"contents":[{"role":"user","parts":[{"text":"hi"}]},` +
		`{"role":"model","parts":[{"functionCall":{"name":"f","args":{}},"thoughtSignature":"` + fromAnthr + `"},{"text":"x","thoughtSignature":"` + fromAnthr + `"}]},` +
		`{"role":"model","parts":[{"functionCall":{"name":"g","args":{}},"thoughtSignature":"` + fromGemini + `"}]}]}`
	got := string(gemini.DropForeignSignatures([]byte(body)))
	if s := gjson.Get(got, "contents.1.parts.0.thoughtSignature").Str; s != "skip_thought_signature_validator" {
		t.Errorf("foreign signature on a function call: %q", s)
	}
	if gjson.Get(got, "contents.1.parts.1.thoughtSignature").Exists() {
		t.Error("foreign signature on text kept")
	}
	if s := gjson.Get(got, "contents.2.parts.0.thoughtSignature").Str; s != rawGemini {
		t.Errorf("own signature = %q; want it untagged", s)
	}
}

func TestDropForeignSignaturesOpenAI(t *testing.T) {
	body := `{"model":"gpt-x","store":false,"input":[{"role":"user","content":"hi"},` +
		`{"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"swy1.sig.` + fromAnthr + `"},` +
		`{"type":"reasoning","id":"rs_2","summary":[],"encrypted_content":"gAAAAopenai-own"},` +
		`{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"}]}`
	got := string(responses.DropForeignSignatures([]byte(body)))
	items := gjson.Get(got, "input").Array()
	if len(items) != 3 || items[1].Get("id").Str != "rs_2" || items[2].Get("type").Str != "function_call" {
		t.Errorf("want only the gateway's reasoning item dropped: %s", got)
	}
	chat := `{"model":"gpt-x","messages":[{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"},` +
		`"extra_content":{"google":{"thought_signature":"` + fromGemini + `"}}}]}]}`
	got = string(openai.DropForeignSignatures([]byte(chat)))
	if gjson.Get(got, "messages.0.tool_calls.0.extra_content").Exists() || gjson.Get(got, "messages.0.tool_calls.0.id").Str != "c1" {
		t.Errorf("gemini signature left in an openai tool call: %s", got)
	}
}
