package fakeupstream

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/tidwall/gjson"
)

// maxIssued bounds the thought signatures the fake remembers.
const maxIssued = 10000

// issuedSignatures remembers the thought signature the fake attached to each
// function call it made in strict mode (calls then carry an id), so a replay
// that drops or alters it can be refused as Gemini does. It keeps the most
// recent maxIssued calls.
type issuedSignatures struct {
	mu    sync.Mutex
	byID  map[string]string
	order []string
}

func newIssuedSignatures() *issuedSignatures {
	return &issuedSignatures{byID: map[string]string{}}
}

// issue records that call id was sent with signature sig.
func (s *issuedSignatures) issue(id, sig string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byID[id]; !ok {
		s.order = append(s.order, id)
	}
	s.byID[id] = sig
	if len(s.order) > maxIssued {
		delete(s.byID, s.order[0])
		s.order = s.order[1:]
	}
}

func (s *issuedSignatures) lookup(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sig, ok := s.byID[id]
	return sig, ok
}

// dummySignature reports whether sig is one of the values Google documents
// for calls whose real signature is unknown; the validator accepts them.
func dummySignature(sig string) bool {
	return sig == "skip_thought_signature_validator" || sig == "context_engineering_is_the_way_to_go"
}

// geminiStrict checks, as Gemini 3 does, the function calls of the current
// turn (the model contents after the last user content with ordinary parts):
// the first call of each step must carry the signature the fake issued for
// it. Calls the fake did not sign (or whose id it does not know) pass.
func (s *issuedSignatures) geminiStrict(root gjson.Result) (int, []byte) {
	contents := root.Get("contents").Array()
	start := 0
	for i, c := range contents {
		if c.Get("role").Str == "model" {
			continue
		}
		for _, p := range c.Get("parts").Array() {
			if !p.Get("functionResponse").Exists() && !p.Get("function_response").Exists() {
				start = i + 1
				break
			}
		}
	}
	for i := start; i < len(contents); i++ {
		c := contents[i]
		if c.Get("role").Str != "model" {
			continue
		}
		for _, p := range c.Get("parts").Array() {
			fc := p.Get("functionCall")
			if !fc.Exists() {
				fc = p.Get("function_call")
			}
			if !fc.Exists() {
				continue
			}
			want, ok := s.lookup(fc.Get("id").Str)
			if ok && want != "" {
				got := p.Get("thoughtSignature")
				if !got.Exists() {
					got = p.Get("thought_signature")
				}
				switch {
				case got.Str == "":
					return http.StatusBadRequest, googleError(http.StatusBadRequest, fmt.Sprintf("Function call is missing a "+
						"thought_signature in functionCall parts. This is required for tools to work correctly, and missing "+
						"thought_signature may lead to degraded model performance. Additional data, function call `default_api:%s` , "+
						"position %d. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.",
						fc.Get("name").Str, i+1))
				case got.Str != want && !dummySignature(got.Str):
					return http.StatusBadRequest, googleError(http.StatusBadRequest, "Corrupted thought signature.")
				}
			}
			break // only the first call of a step carries the signature
		}
	}
	return 0, nil
}

// idCall gives a's function call an id in strict mode and remembers the
// signature the answer attaches to it (none without thinking).
func (ex *exchange) idCall(a *answer, model string) {
	if !ex.s.opts.Strict || a.call == nil {
		return
	}
	a.call.id = randomID("fc_", 20)
	if a.thinking != "" {
		ex.s.issued.issue(a.call.id, signature(ProviderGemini, model, a.thinking))
	}
}
