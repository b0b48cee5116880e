package gemini

import (
	"bytes"
	"flag"
	"testing"
	"time"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol/protocoltest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestErrorEnvelopesGolden(t *testing.T) {
	var out bytes.Buffer
	for _, k := range []llm.ErrorKind{llm.KindInvalidRequest, llm.KindAuthentication, llm.KindPermission, llm.KindNotFound,
		llm.KindTooLarge, llm.KindRateLimit, llm.KindServer, llm.KindUnavailable, llm.KindTimeout} {
		e := llm.Errorf(k, "message for %s", k)
		out.Write(ErrorBody(e))
		out.WriteByte('\n')
		out.Write(StreamError(e))
	}
	limited := llm.Errorf(llm.KindRateLimit, "every account is cooling down")
	limited.RetryAfter = 1500 * time.Millisecond
	out.Write(ErrorBody(limited))
	out.WriteByte('\n')
	limited.Terminal = true
	out.Write(ErrorBody(limited))
	out.WriteByte('\n')
	protocoltest.Golden(t, "errors.golden", out.Bytes(), *update)
}

func TestParseModelPath(t *testing.T) {
	cases := []struct{ in, model, method string }{
		{"/gemini-2.5-pro:generateContent", "gemini-2.5-pro", MethodGenerate},
		{"/gemini-2.5-flash:streamGenerateContent", "gemini-2.5-flash", MethodStreamGenerate},
		{"/gemini-2.0-flash-001%3AcountTokens", "gemini-2.0-flash-001", MethodCountTokens},
		{"/models/gemini-3.1-pro-preview:generateContent", "gemini-3.1-pro-preview", MethodGenerate},
		{"/gemini-2.5-pro:embedContent", "", ""},
		{"/gemini-2.5-pro", "", ""},
		{"/:generateContent", "", ""},
		{"/gemini:", "", ""},
	}
	for _, tc := range cases {
		m, meth, ok := ParseModelPath(tc.in)
		if ok != (tc.model != "") || m != tc.model || meth != tc.method {
			t.Errorf("ParseModelPath(%q) = %q %q %v; want %q %q", tc.in, m, meth, ok, tc.model, tc.method)
		}
	}
}

func TestScanAnswer(t *testing.T) {
	var a llm.Answer
	ScanAnswer([]byte(`{"candidates":[{"content":{"role":"model","parts":[{"text":"x"}]},"finishReason":"STOP","index":0}],
	"usageMetadata":{"promptTokenCount":1480,"cachedContentTokenCount":1024,"candidatesTokenCount":22,"thoughtsTokenCount":310,"totalTokenCount":1812},
	"modelVersion":"gemini-2.5-pro"}`), &a)
	want := llm.Usage{InputTokens: 456, OutputTokens: 332, CacheRead: 1024, ReasoningTokens: 310}
	if a.Usage != want || a.Model != "gemini-2.5-pro" || len(a.FinishReasons) != 1 || a.FinishReasons[0] != "STOP" {
		t.Fatalf("got %+v", a)
	}
}

func FuzzParseModelPath(f *testing.F) {
	for _, s := range []string{"/gemini-2.5-pro:generateContent", "/a%3Ab:countTokens", "::", "/%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		m, meth, ok := ParseModelPath(p)
		if ok && (m == "" || (meth != MethodGenerate && meth != MethodStreamGenerate && meth != MethodCountTokens)) {
			t.Fatalf("accepted %q as %q %q", p, m, meth)
		}
	})
}

func FuzzValidateBody(f *testing.F) {
	for _, s := range []string{`{"contents":[]}`, `[]`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if e := ValidateBody(b); e != nil && e.Status != 400 {
			t.Fatalf("status %d", e.Status)
		}
	})
}
