package dispatch

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/signature"
)

// Signatures is the shared thinking-signature store (signature.Cache).
type Signatures interface {
	Put(ctx context.Context, entries map[signature.Key]signature.Entry) error
	Lookup(ctx context.Context, keys []signature.Key) (map[signature.Key]signature.Entry, error)
}

// sigRecorder notes the signatures of a translated answer: for every tool
// call, the signature that preceded it (with the signed thinking text), and
// for the message as a whole the last signature seen.
type sigRecorder struct {
	family   string
	scope    string
	session  string
	message  int // index the answer takes in the conversation
	thinking strings.Builder
	last     signature.Entry
	entries  map[signature.Key]signature.Entry
}

const maxRecordedThinking = 64 << 10

// signatureLookupTimeout bounds the one signature look-up of a translated
// request.
const signatureLookupTimeout = 250 * time.Millisecond

func (r *sigRecorder) see(ev *llm.Event) {
	if r == nil {
		return
	}
	switch ev.Type {
	case llm.EvBlockStart:
		if ev.Block == nil {
			return
		}
		switch ev.Block.Type {
		case llm.PartThinking:
			r.thinking.Reset()
		case llm.PartToolCall:
			if s := ev.Block.Signature; s != "" {
				r.last = signature.Entry{Family: r.family, Signature: s}
			}
			if ev.Block.ID != "" && r.last.Signature != "" {
				r.put(signature.Key{ToolCall: ev.Block.ID}, r.last)
			}
		}
	case llm.EvThinkingDelta:
		if r.thinking.Len()+len(ev.Text) <= maxRecordedThinking {
			r.thinking.WriteString(ev.Text)
		}
	case llm.EvSignature:
		r.last = signature.Entry{Family: r.family, Signature: ev.Text, Thinking: r.thinking.String()}
	case llm.EvFinish:
		if r.session != "" && r.last.Signature != "" {
			r.put(signature.Key{Scope: r.scope, Session: r.session, Message: r.message}, r.last)
		}
	}
}

func (r *sigRecorder) put(k signature.Key, e signature.Entry) {
	if !signature.Keep(e.Signature) {
		return
	}
	if r.entries == nil {
		r.entries = map[signature.Key]signature.Entry{}
	}
	r.entries[k] = e
}

// saveSignatures writes what a translated answer signed, even if the client
// has gone (the next turn needs it).
func (d *Dispatcher) saveSignatures(ctx context.Context, r *sigRecorder) {
	if r == nil || len(r.entries) == 0 || d.Signatures == nil {
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := d.Signatures.Put(sctx, r.entries); err != nil {
		d.Log.LogAttrs(ctx, slog.LevelWarn, "record thinking signatures", slog.String("error", err.Error()))
	}
}

// historyFor adapts a canonical history to the provider it is about to be sent
// to. A signature is kept only when the provider produced it: a tagged one
// names its origin, an untagged one came from the client's own protocol (a
// foreign signature makes the provider refuse the whole request). An
// assistant turn left without a signature gets the one the shared cache
// recorded for it (by tool call id, else by session and message index). For
// a provider that signs thinking text (llm.SigningThinking) a signature that
// came back on a tool call or text part, without its thinking text, counts
// as missing, so the cached thinking is restored; such a provider needs the
// last tool-loop turn to start with signed thinking when thinking is on, and
// when it cannot, thinking is turned off for the request rather than sending
// a forged block. r is not modified.
func (d *Dispatcher) historyFor(ctx context.Context, r *llm.Request, client, provider llm.Protocol, signing llm.Signing, scope, session string) *llm.Request {
	if signing == llm.SigningNone {
		return r // the provider carries no signatures
	}
	thinkingText := signing == llm.SigningThinking
	fam := string(provider)
	out := *r
	out.Messages = slices.Clone(r.Messages)
	var (
		keys     []signature.Key
		unsigned []int // assistant messages left without a signature of this provider
	)
	for i, m := range out.Messages {
		if m.Role != llm.RoleAssistant {
			continue
		}
		parts := make([]llm.Part, 0, len(m.Parts)+1)
		trusted := false
		for _, p := range m.Parts {
			if p.Signature != "" {
				origin, raw, tagged := llm.UntagSignature(p.Signature)
				if !tagged {
					origin = string(client)
				}
				switch {
				case origin == fam && raw != "" && thinkingText && !isThinkingPart(p):
					// The provider signs thinking text, not a tool call: a client
					// that carried the signature on its function call dropped the
					// thinking, which the cache below puts back.
					p.Signature = ""
				case origin == fam && raw != "":
					p.Signature, trusted = raw, true
				case p.Type == llm.PartRedacted:
					continue // nothing readable without its data
				default:
					p.Signature = ""
				}
			}
			parts = append(parts, p)
		}
		out.Messages[i].Parts = parts
		if trusted {
			continue
		}
		unsigned = append(unsigned, i)
		if id := firstToolCall(m); id != "" {
			keys = append(keys, signature.Key{ToolCall: id})
		}
		if session != "" {
			keys = append(keys, signature.Key{Scope: scope, Session: session, Message: i})
		}
	}
	var found map[signature.Key]signature.Entry
	if d.Signatures != nil && len(keys) > 0 {
		// Bounded: a slow store must not hold the request (the turn then
		// goes unsigned, as without the cache).
		lctx, cancel := context.WithTimeout(ctx, signatureLookupTimeout)
		var err error
		found, err = d.Signatures.Lookup(lctx, keys)
		cancel()
		if err != nil {
			// Without the cache the turns stay unsigned, which providers
			// accept (some get a documented placeholder signature).
			d.Log.LogAttrs(ctx, slog.LevelWarn, "look up thinking signatures", slog.String("error", err.Error()))
		}
	}
	for _, i := range unsigned {
		m := out.Messages[i]
		e, ok := found[signature.Key{ToolCall: firstToolCall(m)}]
		if !ok && session != "" {
			e, ok = found[signature.Key{Scope: scope, Session: session, Message: i}]
		}
		if ok && e.Family == fam && (!thinkingText || e.Thinking != "") {
			out.Messages[i].Parts = slices.Insert(m.Parts, 0, llm.Part{Type: llm.PartThinking, Text: e.Thinking, Signature: e.Signature})
		}
	}
	if thinkingText && out.Thinking != nil && out.Thinking.Enabled && !lastToolTurnSigned(out.Messages) {
		out.Thinking = nil
	}
	return &out
}

func isThinkingPart(p llm.Part) bool {
	return p.Type == llm.PartThinking || p.Type == llm.PartRedacted
}

func firstToolCall(m llm.Message) string {
	for _, p := range m.Parts {
		if p.Type == llm.PartToolCall && p.ToolCall != nil {
			return p.ToolCall.ID
		}
	}
	return ""
}

// lastToolTurnSigned reports whether the last assistant turn, when it calls
// tools, starts with a signed thinking block (the rule of providers that
// sign thinking text, with thinking on); a history without such a turn
// passes.
func lastToolTurnSigned(msgs []llm.Message) bool {
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.Role != llm.RoleAssistant {
			continue
		}
		if firstToolCall(m) == "" {
			return true
		}
		return len(m.Parts) > 0 && (m.Parts[0].Type == llm.PartThinking || m.Parts[0].Type == llm.PartRedacted) && m.Parts[0].Signature != ""
	}
	return true
}
