package gemini

import (
	"testing"

	"github.com/tidwall/gjson"
)

func TestCollectorRebuildsResponse(t *testing.T) {
	chunks := []string{
		`{"candidates":[{"content":{"role":"model","parts":[{"text":"Thinking...","thought":true}]},"index":0}],"modelVersion":"gemini-2.5-pro"}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"text":"Hel"}]},"index":0}],"modelVersion":"gemini-2.5-pro"}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"text":"lo"}]},"index":0}],"modelVersion":"gemini-2.5-pro"}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"SIG123"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":3,"totalTokenCount":8},"modelVersion":"gemini-2.5-pro","responseId":"r1"}`,
	}
	var c Collector
	for _, ch := range chunks {
		c.Add([]byte(ch))
	}
	out, err := c.JSON()
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]string{
		"candidates.0.content.parts.0.thought":           "true",
		"candidates.0.content.parts.1.text":              "Hello",
		"candidates.0.content.parts.2.functionCall.name": "f",
		"candidates.0.content.parts.2.thoughtSignature":  "SIG123",
		"candidates.0.finishReason":                      "STOP",
		"usageMetadata.totalTokenCount":                  "8",
		"responseId":                                     "r1",
		"candidates.0.content.parts.#":                   "3",
	}
	for path, want := range checks {
		if got := gjson.GetBytes(out, path).String(); got != want {
			t.Errorf("%s = %q; want %q\n%s", path, got, want, out)
		}
	}
}
