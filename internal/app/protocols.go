package app

import (
	"github.com/switchyard-gw/switchyard/internal/dispatch"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol/anthropic"
	"github.com/switchyard-gw/switchyard/internal/protocol/gemini"
	"github.com/switchyard-gw/switchyard/internal/protocol/openai"
	"github.com/switchyard-gw/switchyard/internal/protocol/responses"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// Protocols registers every wire protocol the gateway speaks. Adding one is
// a folder under internal/protocol and a line here; dispatch names none.
func Protocols() *dispatch.Protocols {
	ps := dispatch.NewProtocols()
	ps.Add(llm.Anthropic, anthropic.New())
	ps.Add(llm.OpenAI, openai.New())
	ps.Add(llm.Gemini, gemini.New())
	ps.AddClient(llm.OpenAI, upstream.OpResponses, responses.New())
	return ps
}
