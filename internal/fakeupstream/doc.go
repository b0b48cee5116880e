// Package fakeupstream simulates the OpenAI, Anthropic and Gemini HTTP APIs so
// that the gateway's tests, `make run`, docker-compose and the benchmarks work
// with no internet access. It is never used in production.
//
// A [Server] is an http.Handler that serves the providers' own paths, so an
// account's base_url points at it exactly as it would at the real provider
// (OpenAI: http://HOST/v1; Anthropic and Gemini: http://HOST):
//
//   - OpenAI: POST /v1/chat/completions, POST /v1/responses, GET /v1/models.
//   - Anthropic: POST /v1/messages, POST /v1/messages/count_tokens, and
//     GET /v1/models when the request carries anthropic-version.
//   - Gemini: POST /v1beta/models/{model}:generateContent,
//     :streamGenerateContent (SSE with alt=sse, a streamed JSON array
//     without), :countTokens, and GET /v1beta/models.
//
// Answers are deterministic: a greeting that names the provider and model and
// echoes a short user text, one call to the first offered tool, or an
// acknowledgement of a tool result, with thinking blocks and signatures when
// the request asks for thinking. Anthropic thinking signatures are checked when
// a history replays them, so signature repair can be tested.
//
// With Options.Strict the fake also refuses, with the real statuses and
// error bodies, what the real APIs refuse and the fake would otherwise answer:
// an OpenAI "user" over 64 characters, sampling parameters on reasoning
// models, reasoning_effort on other models, tool messages and calls (Chat
// Completions) or call outputs and calls (Responses) that do not pair up;
// Anthropic tool_use and tool_result blocks that do not pair up, temperature
// other than 1 with thinking, a final tool-loop turn that does not start with
// thinking; a replayed Gemini function call of the current turn without the
// thought signature the fake issued for it.
//
// Every provider request is recorded (see [Server.Requests]) and may be
// answered by a scripted [Fault] instead: an error status with the provider's
// real error body, a stream that is empty, cut, stalled, malformed or missing
// its terminal event, a reset connection, garbage, or a request that hangs.
//
// The same controls are served over HTTP under /_control/ for out-of-process
// use (cmd/fakeupstream):
//
//	GET    /_control/healthz    200 "ok"
//	GET    /_control/requests   JSON array of Record (bodies base64-encoded)
//	DELETE /_control/requests   forget the recorded requests
//	POST   /_control/faults     one Fault object or an array of them
//	DELETE /_control/faults     remove every fault
package fakeupstream
