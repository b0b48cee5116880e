package monitor

import (
	"strings"
	"testing"
)

func TestCaptureRedactsAndCaps(t *testing.T) {
	body := `{"model":"x","api_key":"plain-secret-value","messages":[{"role":"user","content":"my key is sk-ant-api03-abcdefghijkl and AIzaSyA1234567890abcdefghijk, header Bearer ya29.tok-en"}]}`
	got := Capture([]byte(body), 4096)
	for _, secret := range []string{"plain-secret-value", "sk-ant-api03-abcdefghijkl", "AIzaSyA1234567890abcdefghijk", "ya29.tok-en"} {
		if strings.Contains(got, secret) {
			t.Errorf("capture kept %q: %s", secret, got)
		}
	}
	if !strings.Contains(got, `"model":"x"`) || !strings.Contains(got, "[redacted]") {
		t.Errorf("capture lost the body's shape: %s", got)
	}
	short := Capture([]byte(strings.Repeat("é", 100)), 51)
	if !strings.HasSuffix(short, "…[truncated]") || strings.ContainsRune(strings.TrimSuffix(short, "…[truncated]"), '\uFFFD') {
		t.Errorf("cap split a rune or lost the marker: %q", short)
	}
	if Capture([]byte("x"), 0) != "" {
		t.Error("capture off must keep nothing")
	}
}
