package app_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	anthropicopt "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	openaiopt "github.com/openai/openai-go/v3/option"
	"google.golang.org/genai"
)

// A pool without gemini accounts, whose openai account serves only gpt-4o
// and gpt-4.1*, and two routes: an alias to an anthropic model and a Gemini
// name served by the openai account (which cannot count tokens).
const modelsRoutes = "my-alias: anthropic/claude-sonnet-4-5\ngemini-2.5-flash: openai/gpt-4o\n"

func modelsHarness(t *testing.T) *harness {
	t.Helper()
	return newHarness(t, harnessOpts{
		accounts: []acctSpec{
			{id: "an-1", provider: "anthropic", tier: "pro"},
			{id: "oa-1", provider: "openai", tier: "pro", models: []string{"gpt-4o", `"gpt-4.1*"`}},
		},
		routes: modelsRoutes,
		env:    map[string]string{"SWITCHYARD_API_KEYS_FILE": teamKeysFile(t)},
	})
}

func openAIModels(t *testing.T, h *harness, key string) (openai.ModelService, []string) {
	t.Helper()
	c := openai.NewClient(openaiopt.WithBaseURL(h.base+"/v1"), openaiopt.WithAPIKey(key), openaiopt.WithMaxRetries(0))
	page, err := c.Models.List(context.Background())
	if err != nil {
		t.Fatalf("openai models list: %v", err)
	}
	var ids []string
	for _, m := range page.Data {
		if m.Object != "model" || m.OwnedBy == "" {
			t.Errorf("openai model %+v lacks object or owned_by", m)
		}
		ids = append(ids, m.ID)
	}
	return c.Models, ids
}

// TestModelsForKey: the three SDKs discover the models the pool serves for
// the calling key, and look single models up.
func TestModelsForKey(t *testing.T) {
	h := modelsHarness(t)
	ctx := context.Background()

	// team-red may use everything the pool serves.
	models, ids := openAIModels(t, h, redKey)
	for _, want := range []string{"my-alias", "gemini-2.5-flash", "gpt-4o", "gpt-4.1", "gpt-4.1-mini", "claude-sonnet-4-5", "claude-haiku-4-5"} {
		if !slices.Contains(ids, want) {
			t.Errorf("team-red's list lacks %s: %v", want, ids)
		}
	}
	for _, absent := range []string{"gpt-5", "o3", "gemini-2.5-pro", "gpt-4.1*"} {
		if slices.Contains(ids, absent) {
			t.Errorf("team-red's list offers %s, which the pool cannot serve: %v", absent, ids)
		}
	}
	if !slices.IsSorted(ids) {
		t.Errorf("list not sorted: %v", ids)
	}
	if m, err := models.Get(ctx, "gpt-4o"); err != nil || m.ID != "gpt-4o" || m.OwnedBy != "openai" {
		t.Errorf("openai get gpt-4o: %+v, %v", m, err)
	}
	var oe *openai.Error
	if _, err := models.Get(ctx, "gpt-5"); !errors.As(err, &oe) || oe.StatusCode != 404 {
		t.Errorf("openai get gpt-5 (no account serves it): %v; want 404", err)
	}

	// team-blue may use Claude models only.
	blueModels, blue := openAIModels(t, h, blueKey)
	if len(blue) == 0 {
		t.Fatal("team-blue sees no model")
	}
	for _, id := range blue {
		if !strings.HasPrefix(id, "claude-") {
			t.Errorf("team-blue's list offers %s, outside its allow-list", id)
		}
	}
	if _, err := blueModels.Get(ctx, "gpt-4o"); !errors.As(err, &oe) || oe.StatusCode != 404 {
		t.Errorf("team-blue get gpt-4o: %v; want 404", err)
	}

	// Anthropic's shape (anthropic-version is sent by its SDK).
	ac := anthropic.NewClient(anthropicopt.WithBaseURL(h.base), anthropicopt.WithAPIKey(blueKey), anthropicopt.WithMaxRetries(0))
	page, err := ac.Models.List(ctx, anthropic.ModelListParams{})
	if err != nil {
		t.Fatalf("anthropic models list: %v", err)
	}
	var anth []string
	for _, m := range page.Data {
		if m.Type != "model" || m.DisplayName == "" || m.CreatedAt.IsZero() {
			t.Errorf("anthropic model %+v lacks type, display name or created_at", m)
		}
		anth = append(anth, m.ID)
	}
	if !slices.Equal(anth, blue) {
		t.Errorf("anthropic list %v; the openai list for the same key %v", anth, blue)
	}
	if m, err := ac.Models.Get(ctx, "claude-sonnet-4-5", anthropic.ModelGetParams{}); err != nil || m.ID != "claude-sonnet-4-5" {
		t.Errorf("anthropic get claude-sonnet-4-5: %+v, %v", m, err)
	}
	var ae *anthropic.Error
	if _, err := ac.Models.Get(ctx, "my-alias", anthropic.ModelGetParams{}); !errors.As(err, &ae) || ae.StatusCode != 404 {
		t.Errorf("team-blue get my-alias (outside its allow-list): %v; want 404", err)
	}

	// Gemini's shape: countTokens only where an account can count.
	gc, err := genai.NewClient(ctx, &genai.ClientConfig{APIKey: redKey, Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: h.base}})
	if err != nil {
		t.Fatal(err)
	}
	gpage, err := gc.Models.List(ctx, nil)
	if err != nil {
		t.Fatalf("gemini models list: %v", err)
	}
	methods := map[string][]string{}
	for _, m := range gpage.Items {
		methods[strings.TrimPrefix(m.Name, "models/")] = m.SupportedActions
	}
	if len(methods) != len(ids) {
		t.Errorf("gemini list has %d models; the openai list for the same key %d", len(methods), len(ids))
	}
	for id, can := range map[string]bool{"my-alias": true, "claude-sonnet-4-5": true, "gemini-2.5-flash": false, "gpt-4o": false} {
		acts, ok := methods[id]
		if !ok || !slices.Contains(acts, "generateContent") || slices.Contains(acts, "countTokens") != can {
			t.Errorf("gemini %s: methods %v (listed %v); countTokens wanted %v", id, acts, ok, can)
		}
	}
	if m, err := gc.Models.Get(ctx, "gemini-2.5-flash", nil); err != nil || m.Name != "models/gemini-2.5-flash" || slices.Contains(m.SupportedActions, "countTokens") {
		t.Errorf("gemini get gemini-2.5-flash: %+v, %v", m, err)
	}
	var ge genai.APIError
	if _, err := gc.Models.Get(ctx, "gemini-2.5-pro", nil); !errors.As(err, &ge) || ge.Code != 404 {
		t.Errorf("gemini get gemini-2.5-pro (no gemini account): %v; want 404", err)
	}
	// The generate routes still work next to the GET routes.
	if resp, err := gc.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("still routed?"), nil); err != nil || resp.Text() == "" {
		t.Errorf("generate on gemini-2.5-flash: %v", err)
	}
}

// Raw HTTP: authentication and the error envelopes of the model routes.
func TestModelsEnvelopes(t *testing.T) {
	h := modelsHarness(t)
	for _, c := range []struct {
		path string
		hdr  map[string]string
		want int
		has  string
	}{
		{"/v1/models", nil, 401, `"type":"invalid_request_error"`},
		{"/v1/models", map[string]string{"anthropic-version": "2023-06-01"}, 401, `"type":"authentication_error"`},
		{"/v1/models/gpt-4o", map[string]string{"Authorization": "Bearer nope"}, 401, `"error"`},
		{"/v1/models/gpt-5", map[string]string{"Authorization": "Bearer " + redKey}, 404, `"error"`},
		{"/v1/models/nope", map[string]string{"x-api-key": redKey, "anthropic-version": "2023-06-01"}, 404, `"type":"not_found_error"`},
		{"/v1beta/models", nil, 401, `"status":"UNAUTHENTICATED"`},
		{"/v1beta/models/gpt-5", map[string]string{"x-goog-api-key": redKey}, 404, `"status":"NOT_FOUND"`},
		{"/v1beta/models/models%2Fgpt-4o", map[string]string{"x-goog-api-key": redKey}, 200, `"name":"models/gpt-4o"`},
		{"/v1beta/models/gemini-2.5-flash?key=" + redKey, nil, 200, `"supportedGenerationMethods":["generateContent","streamGenerateContent"]`},
	} {
		resp, body := h.do("GET", c.path, "", c.hdr)
		if resp.StatusCode != c.want || !strings.Contains(body, c.has) {
			t.Errorf("GET %s: %d %s; want %d with %s", c.path, resp.StatusCode, body, c.want, c.has)
		}
		if strings.Contains(body, redKey) {
			t.Errorf("GET %s: the answer quotes the client key", c.path)
		}
	}
	if resp, _ := h.do("GET", "/v1/models", "", map[string]string{"Authorization": "Bearer " + redKey}); resp.StatusCode != http.StatusOK {
		t.Errorf("list with a key: %d", resp.StatusCode)
	}
}
