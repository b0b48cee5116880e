package codeassist

import (
	"io"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/account"
)

func TestWrapGenerateKeepsTheBodyAndAddsTheSession(t *testing.T) {
	body := `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"unknownField":{"x":1}}`
	out, err := WrapGenerate([]byte(body), "models/gemini-2.5-pro", "proj-1", "sess-9")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"model": "gemini-2.5-pro", "project": "proj-1", "request.session_id": "sess-9",
		"request.contents.0.parts.0.text": "hi", "request.unknownField.x": "1",
	} {
		if got := gjson.GetBytes(out, path).String(); got != want {
			t.Errorf("%s = %q, want %q (%s)", path, got, want, out)
		}
	}
	if !strings.HasPrefix(gjson.GetBytes(out, "user_prompt_id").Str, "sy-") {
		t.Errorf("user_prompt_id missing: %s", out)
	}
	if _, err := WrapGenerate([]byte(`[1]`), "m", "p", ""); err == nil {
		t.Error("a non-object body was wrapped")
	}
}

func TestWrapCountTakesContentsFromEitherForm(t *testing.T) {
	for _, body := range []string{
		`{"contents":[{"parts":[{"text":"a"}]}]}`,
		`{"generateContentRequest":{"model":"models/x","contents":[{"parts":[{"text":"a"}]}]}}`,
	} {
		out, err := WrapCount([]byte(body), "gemini-2.5-flash")
		if err != nil {
			t.Fatal(err)
		}
		if m := gjson.GetBytes(out, "request.model").Str; m != "models/gemini-2.5-flash" {
			t.Errorf("model = %q", m)
		}
		if txt := gjson.GetBytes(out, "request.contents.0.parts.0.text").Str; txt != "a" {
			t.Errorf("contents lost: %s", out)
		}
	}
}

func TestUnwrapMovesTraceIDToResponseID(t *testing.T) {
	got := string(Unwrap([]byte(`{"response":{"candidates":[]},"traceId":"t-1"}`)))
	if gjson.Get(got, "responseId").Str != "t-1" || !gjson.Get(got, "candidates").IsArray() {
		t.Errorf("Unwrap = %s", got)
	}
	if got := string(Unwrap([]byte(`{"totalTokens":3}`))); got != `{"totalTokens":3}` {
		t.Errorf("a count was changed: %s", got)
	}
}

func TestUnwrapStreamUnwrapsEveryEvent(t *testing.T) {
	in := "data: {\"response\":{\"candidates\":[{\"index\":0}]},\"traceId\":\"a\"}\r\n\r\n" +
		": keep-alive\n\n" +
		"data: {\"response\":\n" + "data: {\"responseId\":\"r2\"}}\n\n" +
		"data: {\"error\":{\"code\":503}}"
	u := newUnwrapStream(io.NopCloser(strings.NewReader(in)))
	out, err := io.ReadAll(u)
	if err != nil {
		t.Fatal(err)
	}
	want := "data: {\"candidates\":[{\"index\":0}],\"responseId\":\"a\"}\r\n\r\n" +
		": keep-alive\n\n" +
		"data: {\"responseId\":\"r2\"}\r\n\r\n" +
		"data: {\"error\":{\"code\":503}}\r\n\r\n"
	if string(out) != want {
		t.Errorf("stream =\n%q\nwant\n%q", out, want)
	}
}

func TestErrorJSONReadsAnEventStreamError(t *testing.T) {
	got := errorJSON([]byte("data: {\"error\":{\"code\":429,\"status\":\"RESOURCE_EXHAUSTED\"}}\n\n"))
	if gjson.GetBytes(got, "error.code").Int() != 429 {
		t.Errorf("errorJSON = %s", got)
	}
	plain := []byte(`{"error":{"code":500}}`)
	if string(errorJSON(plain)) != string(plain) {
		t.Error("a plain JSON error was changed")
	}
}

func TestTierOf(t *testing.T) {
	for _, c := range []struct {
		cur, curName, paid, paidName string
		want                         account.Tier
	}{
		// Code Assist's own tiers (protocols.md §3.8).
		{"free-tier", "Gemini Code Assist for individuals", "", "", account.Free},
		{"legacy-tier", "Gemini Code Assist", "", "", account.Pro},
		{"standard-tier", "Gemini Code Assist Standard", "", "", account.Pro},
		{"enterprise-tier", "Gemini Code Assist Enterprise", "", "", account.Pro},
		// Google AI subscriptions, named by the paid tier.
		{"free-tier", "", "g1-pro-tier", "Gemini Code Assist in Google One AI Pro", account.Pro},
		{"standard-tier", "", "g1-pro-tier", "Google AI Pro", account.Pro},
		{"free-tier", "", "g1-ultra-tier", "Gemini Code Assist in Google One AI Ultra", account.Ultra},
		{"standard-tier", "", "g1-ultra-tier", "", account.Ultra},
		{"g1-ultra-tier", "", "", "", account.Ultra},
		{"free-tier", "", "", "Google AI Ultra", account.Ultra},
		// Another paid tier, an id the gateway does not know: pro.
		{"free-tier", "", "g1-premium-tier", "Google One AI Premium", account.Pro},
		{"legacy-tier", "", "paid-tier", "", account.Pro},
		// The id decides before the name.
		{"free-tier", "Gemini Code Assist for individuals (upgrade to Pro)", "", "", account.Free},
		{"", "Free tier", "", "", account.Free},
		{"", "", "", "", account.Free},
		{"FREE-TIER", "", "", "", account.Free},
		{"Standard-Tier", "", "", "", account.Pro},
	} {
		got := TierOf(TierRef{ID: c.cur, Name: c.curName}, TierRef{ID: c.paid, Name: c.paidName})
		if got != c.want {
			t.Errorf("TierOf(%q/%q, paid %q/%q) = %s, want %s", c.cur, c.curName, c.paid, c.paidName, got, c.want)
		}
	}
}

func TestVerificationKeepsTheLink(t *testing.T) {
	body := `{"error":{"code":403,"message":"Verify your account to continue.","status":"PERMISSION_DENIED","details":[` +
		`{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"VALIDATION_REQUIRED","domain":"cloudcode-pa.googleapis.com",` +
		`"metadata":{"validation_link":"https://accounts.google.com/verify?x=1"}}]}}`
	v, ok := verification(403, []byte(body))
	if !ok || v.URL != "https://accounts.google.com/verify?x=1" || !strings.Contains(v.Reason, "VALIDATION_REQUIRED") {
		t.Errorf("verification = %+v, %v", v, ok)
	}
	if _, ok := verification(403, []byte(`{"error":{"code":403,"message":"The caller does not have permission"}}`)); ok {
		t.Error("a plain 403 was read as a verification request")
	}
}

// The wrappers are checked by depth first, so a nesting bomb that reached
// them would be refused, never overflow gjson's recursive validator.
func TestWrapRefusesANestingBomb(t *testing.T) {
	bomb := []byte(`{"contents":` + strings.Repeat("[", 2_000_000))
	if _, err := WrapGenerate(bomb, "gemini-2.5-pro", "p", ""); err == nil {
		t.Fatal("WrapGenerate took a nesting bomb")
	}
	if _, err := WrapCount(bomb, "gemini-2.5-pro"); err == nil {
		t.Fatal("WrapCount took a nesting bomb")
	}
}
