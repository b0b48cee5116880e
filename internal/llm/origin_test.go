package llm_test

import (
	"encoding/base64"
	"testing"

	"github.com/switchyard-gw/switchyard/internal/llm"
)

func TestTagRoundTrip(t *testing.T) {
	raw := base64.StdEncoding.EncodeToString([]byte("an opaque provider signature of some length"))
	for _, fam := range []string{"anthropic", "gemini"} {
		tagged := llm.TagSignature(fam, raw)
		if tagged == raw {
			t.Fatalf("%s: not tagged", fam)
		}
		f, r, ok := llm.UntagSignature(tagged)
		if !ok || f != fam || r != raw {
			t.Fatalf("Untag(%q) = %q, %q, %v", tagged, f, r, ok)
		}
		// Still base64 that re-encodes to the same text (Gemini SDKs keep
		// thoughtSignature as bytes).
		b, err := base64.StdEncoding.DecodeString(tagged)
		if err != nil || base64.StdEncoding.EncodeToString(b) != tagged {
			t.Fatalf("%s: tagged signature is not stable base64: %v", fam, err)
		}
	}
	if _, r, ok := llm.UntagSignature(raw); ok || r != raw {
		t.Fatal("an untagged signature was read as tagged")
	}
	if got := llm.TagSignature("mistral", raw); got != raw {
		t.Fatal("an unknown family was tagged")
	}
	// The bare tag marks an unsigned thinking block of a family.
	if f, r, ok := llm.UntagSignature(llm.TagSignature("openai", "")); !ok || f != "openai" || r != "" {
		t.Fatalf("bare tag read as %q %q %v", f, r, ok)
	}
	if !llm.HasSignatureTag([]byte(`{"signature":"`+llm.TagSignature("gemini", "")+`"}`)) || llm.HasSignatureTag([]byte(`swy1 swy1gemini0`)) {
		t.Fatal("HasTag")
	}
}
