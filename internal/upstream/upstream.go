// Package upstream sends one attempt to one provider account: it builds the
// provider's URL, authentication and required headers, and returns the raw
// response. It never retries; the dispatch loop decides what happens next.
package upstream

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/llm"
)

// Op is the operation requested from the provider.
type Op string

// Operations.
const (
	OpGenerate    Op = "generate"     // chat/completions, messages, generateContent
	OpResponses   Op = "responses"    // OpenAI Responses API
	OpCountTokens Op = "count_tokens" // messages/count_tokens, countTokens
)

// Call is one upstream request, already in the provider's protocol.
type Call struct {
	Op     Op
	Model  string // the mapped model (Gemini puts it in the path)
	Stream bool
	Body   []byte
	// Header holds client headers the provider needs (anthropic-version, anthropic-beta).
	Header http.Header
	// Beta keeps Anthropic's ?beta=true.
	Beta bool
	// Session is the request's session id (codeassist sends it as session_id).
	Session string
}

// Tokens supplies OAuth access tokens for refresh-token accounts.
type Tokens interface {
	AccessToken(ctx context.Context, a *account.Account) (string, error)
}

// CodeAssist sends calls for codeassist accounts: Gemini bodies in Code
// Assist's envelope, answers unwrapped back to Gemini (codeassist.Service).
type CodeAssist interface {
	Send(ctx context.Context, a *account.Account, call Call) (*http.Response, error)
}

// Client sends calls. Build it once; it is safe for concurrent use.
type Client struct {
	HTTP *http.Client
	// JSON sends non-streaming calls (nil: HTTP). Its transport waits longer
	// for response headers: a long generation answered as one JSON body
	// sends no header before it is done.
	JSON       *http.Client
	Tokens     Tokens
	UserAgent  string
	CodeAssist CodeAssist // nil: codeassist accounts cannot be used
}

// Timeouts for the upstream transport.
type Timeouts struct {
	Connect        time.Duration
	ResponseHeader time.Duration
}

// NewTransport is an http.Transport tuned for many long-lived streams to a few
// provider hosts. Never set http.Client.Timeout for streams: it caps the body.
func NewTransport(t Timeouts) *http.Transport {
	d := &net.Dialer{Timeout: t.Connect, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   t.Connect,
		ResponseHeaderTimeout: t.ResponseHeader,
		ExpectContinueTimeout: time.Second,
	}
}

// Send performs the call on the account. The caller closes the body.
func (c *Client) Send(ctx context.Context, a *account.Account, call Call) (*http.Response, error) {
	if a.Provider == account.CodeAssist {
		if c.CodeAssist == nil {
			return nil, fmt.Errorf("account %s: codeassist is not configured", a.ID)
		}
		return c.CodeAssist.Send(ctx, a, call)
	}
	u, err := endpoint(a, call)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(call.Body))
	if err != nil {
		return nil, fmt.Errorf("build upstream request: %w", err)
	}
	req.ContentLength = int64(len(call.Body))
	// Canonical keys and shared values: Header.Set would canonicalize and
	// allocate a one-element slice per header on every call.
	h := make(http.Header, 8)
	req.Header = h
	h["Content-Type"] = hvJSON
	if call.Stream {
		h["Accept"] = hvEventStream
	} else {
		h["Accept"] = hvJSON
	}
	if c.UserAgent != "" {
		h["User-Agent"] = []string{c.UserAgent}
	}
	if err := c.authorize(ctx, h, a); err != nil {
		return nil, err
	}
	if llm.Protocol(a.Provider) == llm.Anthropic {
		// As call.Header.Get and .Values, which read the canonical keys.
		if v := call.Header["Anthropic-Version"]; len(v) > 0 && v[0] != "" {
			h["Anthropic-Version"] = v[:1:1]
		} else {
			h["Anthropic-Version"] = hvAnthropicVersion
		}
		if v := call.Header["Anthropic-Beta"]; len(v) > 0 {
			h["Anthropic-Beta"] = slices.Clip(v)
		}
	}
	hc := c.HTTP
	if !call.Stream && c.JSON != nil {
		hc = c.JSON
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("send to %s: %w", a.Provider, redactURL(err))
	}
	return resp, nil
}

func (c *Client) authorize(ctx context.Context, h http.Header, a *account.Account) error {
	if a.OAuth != nil {
		if c.Tokens == nil {
			return fmt.Errorf("account %s: oauth is not configured", a.ID)
		}
		tok, err := c.Tokens.AccessToken(ctx, a)
		if err != nil {
			return err
		}
		h.Set("Authorization", "Bearer "+tok)
		return nil
	}
	key := a.APIKey.Reveal()
	switch llm.Protocol(a.Provider) {
	case llm.Anthropic:
		h["X-Api-Key"] = []string{key}
	case llm.Gemini:
		h["X-Goog-Api-Key"] = []string{key}
	default:
		h["Authorization"] = []string{"Bearer " + key}
	}
	return nil
}

// Header values the same on every call: shared, read-only, by the header
// map of every upstream request (capacity 1, so an Add copies them).
var (
	hvJSON             = []string{"application/json"}
	hvEventStream      = []string{"text/event-stream"}
	hvAnthropicVersion = []string{"2023-06-01"}
)

// endpoint builds the provider URL. Base URL conventions follow each SDK:
// OpenAI's includes the version, Anthropic's and Gemini's are roots.
func endpoint(a *account.Account, call Call) (string, error) {
	base := strings.TrimRight(a.BaseURL, "/")
	switch llm.Protocol(a.Provider) {
	case llm.OpenAI:
		if call.Op == OpResponses {
			return base + "/responses", nil
		}
		if call.Op == OpCountTokens {
			return "", fmt.Errorf("openai cannot count tokens")
		}
		return base + "/chat/completions", nil
	case llm.Anthropic:
		p := base + "/v1/messages"
		if call.Op == OpCountTokens {
			p += "/count_tokens"
		}
		if call.Beta {
			p += "?beta=true"
		}
		return p, nil
	case llm.Gemini:
		m := url.PathEscape(call.Model)
		switch {
		case call.Op == OpCountTokens:
			return base + "/v1beta/models/" + m + ":countTokens", nil
		case call.Stream:
			return base + "/v1beta/models/" + m + ":streamGenerateContent?alt=sse", nil
		default:
			return base + "/v1beta/models/" + m + ":generateContent", nil
		}
	}
	return "", fmt.Errorf("unknown provider %q", a.Provider)
}

// redactURL drops the URL from transport errors: a query may carry a key.
func redactURL(err error) error {
	var ue *url.Error
	if e, ok := err.(*url.Error); ok {
		ue = e
		return fmt.Errorf("%s: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}
