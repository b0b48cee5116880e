package anthropic

import (
	"os"
	"testing"

	"github.com/tidwall/gjson"
)

func TestCount(t *testing.T) {
	body, _ := os.ReadFile("testdata/decode/tools.json")
	r, lerr := DecodeRequest(body)
	if lerr != nil {
		t.Fatal(lerr)
	}
	r.System = append(r.System, text("sys"))
	out, err := EncodeCountRequest(r, "claude-haiku-4-5")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "encode/count.golden", indent(t, out))
	root := gjson.ParseBytes(out)
	for _, absent := range []string{"max_tokens", "stream", "tool_choice", "thinking", "temperature"} {
		if root.Get(absent).Exists() {
			t.Errorf("count body has %s", absent)
		}
	}
	if root.Get("model").Str != "claude-haiku-4-5" || root.Get("system.0.text").Str != "sys" ||
		root.Get("tools.#").Int() != 2 || root.Get("messages.#").Int() != 3 {
		t.Fatalf("count body: %s", out)
	}

	n, err := ParseCountResponse([]byte(`{"input_tokens": 2095}`))
	if err != nil || n != 2095 {
		t.Fatalf("parse: %d %v", n, err)
	}
	for _, bad := range []string{`{}`, `{"input_tokens":"x"}`, `nope`, `{"input_tokens":-1}`} {
		if _, err := ParseCountResponse([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if got := string(CountResponse(2095)); got != `{"input_tokens":2095}` {
		t.Fatalf("CountResponse = %s", got)
	}
}
