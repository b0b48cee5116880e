package responses

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// TestDecodeOmittedBuiltinTools: OpenAI's hosted tools have no canonical
// form; they are left out and named in Request.Omitted (once each, in the
// order offered), never dropped silently, and the functions next to them
// are kept.
func TestDecodeOmittedBuiltinTools(t *testing.T) {
	for body, want := range map[string]struct {
		omitted string
		tools   int
	}{
		// Codex 0.171 with gpt-5 (cut down): web_search on every request.
		`{"model":"gpt-5","input":"x","tool_choice":"auto","tools":[{"type":"function","name":"exec_command","parameters":{"type":"object"}},
			{"type":"namespace","name":"multi_agent_v1","tools":[{"type":"function","name":"spawn_agent"}]},{"type":"web_search"}]}`: {"web_search", 2},
		`{"model":"m","input":"x","tools":[{"type":"web_search_preview_2025_03_11"},{"type":"mcp","server_label":"docs","server_url":"https://example.com"},
			{"type":"function","name":"f"},{"type":"local_shell"},{"type":"web_search_preview_2025_03_11"},{"type":"image_generation"}]}`: {"web_search_preview_2025_03_11,mcp,local_shell,image_generation", 1},
		`{"model":"m","input":"x","tools":[{"type":"function","name":"f"},{"type":"custom","name":"apply_patch"}]}`:         {"", 2},
		`{"model":"m","input":"x","tools":[{"type":"web_search"},{"type":"function","name":"f"}],"tool_choice":"required"}`: {"web_search", 1},
	} {
		r := mustDecode(t, body)
		if got := strings.Join(r.Omitted, ","); got != want.omitted || len(r.Tools) != want.tools {
			t.Errorf("%s: omitted %q and %d tools; want %q and %d", body, got, len(r.Tools), want.omitted, want.tools)
		}
	}
	// The captured Codex request of the golden test names its web_search.
	body, err := os.ReadFile(filepath.Join("testdata", "request_codex.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r := mustDecode(t, string(body)); strings.Join(r.Omitted, ",") != "web_search" || len(r.Tools) != 3 {
		t.Errorf("codex request: omitted %v, %d tools", r.Omitted, len(r.Tools))
	}
}

// TestDecodeRefusesRequiredOmittedTool: a request that requires a tool the
// provider cannot run (a tool choice forcing a built-in tool, or "required"
// with only built-in tools to choose from) is a clear 400 in the Responses
// error envelope, not a request whose requirement quietly disappears.
func TestDecodeRefusesRequiredOmittedTool(t *testing.T) {
	for body, want := range map[string]string{
		`{"model":"m","input":"x","tools":[{"type":"web_search"},{"type":"function","name":"f"}],"tool_choice":{"type":"web_search"}}`: `tool_choice requires the built-in tool "web_search"`,
		`{"model":"m","input":"x","tools":[{"type":"web_search_preview"}],"tool_choice":{"type":"web_search_preview"}}`:                `tool_choice requires the built-in tool "web_search_preview"`,
		`{"model":"m","input":"x","tool_choice":{"type":"mcp","server_label":"docs"}}`:                                                 `tool_choice requires the built-in tool "mcp"`,
		`{"model":"m","input":"x","tools":[{"type":"web_search"},{"type":"file_search"}],"tool_choice":"required"}`:                    "tool_choice is required but tools holds only built-in tools",
		`{"model":"m","input":"x","tools":[{"type":"web_search"},{"type":"function","name":"f"}],
			"tool_choice":{"type":"allowed_tools","mode":"required","tools":[{"type":"web_search"}]}}`: "tool_choice is required but tool_choice.tools holds only built-in tools",
	} {
		_, err := DecodeRequest([]byte(body))
		if err == nil || err.Status != http.StatusBadRequest || !strings.Contains(err.Message, want) {
			t.Errorf("%s: got %v; want a 400 containing %q", body, err, want)
			continue
		}
		env := ErrorBody(err)
		if gjson.GetBytes(env, "error.type").Str != "invalid_request_error" || !strings.Contains(gjson.GetBytes(env, "error.message").Str, want) {
			t.Errorf("%s: envelope %s", body, env)
		}
	}
	// Requirements a provider can meet stay as they were.
	for _, body := range []string{
		`{"model":"m","input":"x","tools":[{"type":"web_search"},{"type":"function","name":"f"}],"tool_choice":"required"}`,
		`{"model":"m","input":"x","tools":[{"type":"web_search"},{"type":"function","name":"f"}],
			"tool_choice":{"type":"allowed_tools","mode":"required","tools":[{"type":"web_search"},{"type":"function","name":"f"}]}}`,
		`{"model":"m","input":"x","tools":[{"type":"web_search"}],"tool_choice":"none"}`,
		`{"model":"m","input":"x","tools":[{"type":"web_search"}],"tool_choice":{"type":"allowed_tools","mode":"auto","tools":[{"type":"web_search"}]}}`,
		`{"model":"m","input":"x","tool_choice":"required"}`,
	} {
		if _, err := DecodeRequest([]byte(body)); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
}
