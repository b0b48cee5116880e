package gemini

import (
	"testing"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

func TestEncodeCountRequest(t *testing.T) {
	b, err := EncodeCountRequest(toolsRequest(), "gemini-2.5-pro")
	if err != nil {
		t.Fatal(err)
	}
	g := gjson.GetBytes(b, "generateContentRequest")
	if g.Get("model").String() != "models/gemini-2.5-pro" || g.Get("contents.#").Int() != 3 ||
		g.Get("systemInstruction.parts.#").Int() != 2 || g.Get("tools.0.functionDeclarations.#").Int() != 2 ||
		g.Get("generationConfig").Exists() {
		t.Fatalf("count body %s", b)
	}
	b, _ = EncodeCountRequest(&llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Parts: []llm.Part{text("hi")}}}}, "models/gemini-2.5-flash")
	if string(b) != `{"generateContentRequest":{"model":"models/gemini-2.5-flash","contents":[{"role":"user","parts":[{"text":"hi"}]}]}}` {
		t.Fatalf("count body %s", b)
	}
}

func TestParseCountResponse(t *testing.T) {
	cases := map[string]int64{
		`{"totalTokens":31,"promptTokensDetails":[{"modality":"TEXT","tokenCount":31}]}`: 31,
		`{"response":{"totalTokens":7}}`:                                                 7,
		`{}`:                                                                             0, // proto3 JSON leaves out a zero
	}
	for body, want := range cases {
		n, err := ParseCountResponse([]byte(body))
		if err != nil || n != want {
			t.Errorf("%s: %d %v; want %d", body, n, err, want)
		}
	}
	for _, bad := range []string{`nope`, `[]`, `{"totalTokens":"x"}`, `{"error":{"code":400}}`} {
		if _, err := ParseCountResponse([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if got := string(CountResponse(1234)); got != `{"totalTokens":1234}` {
		t.Fatalf("CountResponse = %s", got)
	}
}
