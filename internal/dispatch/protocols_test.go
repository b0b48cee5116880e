package dispatch

import (
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol/anthropic"
	"github.com/switchyard-gw/switchyard/internal/protocol/gemini"
	"github.com/switchyard-gw/switchyard/internal/protocol/openai"
	"github.com/switchyard-gw/switchyard/internal/protocol/responses"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// testProtocols registers the gateway's protocols as the composition root
// does (app.Protocols, which this package's tests cannot import).
func testProtocols() *Protocols {
	ps := NewProtocols()
	ps.Add(llm.Anthropic, anthropic.New())
	ps.Add(llm.OpenAI, openai.New())
	ps.Add(llm.Gemini, gemini.New())
	ps.AddClient(llm.OpenAI, upstream.OpResponses, responses.New())
	return ps
}

func mustClient(p llm.Protocol, op upstream.Op) Client {
	c, ok := testProtocols().Client(p, op)
	if !ok {
		panic("no client side for " + string(p))
	}
	return c
}

func mustProvider(p llm.Protocol) Provider {
	pr, ok := testProtocols().Provider(p)
	if !ok {
		panic("no provider side for " + string(p))
	}
	return pr
}
