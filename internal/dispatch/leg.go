package dispatch

import (
	"context"
	"strconv"
	"time"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// leg is how one attempt talks to its account: the call in the provider's
// protocol, the dialects on both sides, and the conveyor between them.
type leg struct {
	call    upstream.Call
	up      dialect // the provider's wire protocol
	cl      dialect // the client's
	conv    *conveyor
	collect bool // a non-streaming client is served from a streamed call
	// countAnswer renders a translated token count in the client's protocol;
	// parseCount reads the provider's.
	countAnswer func(int64) []byte
	parseCount  func([]byte) (int64, error)
	translated  bool
	provider    llm.Protocol
	bodyKey     string // of the translated body in legs.bodies
}

// legs builds and caches the calls of one request: the fast-path call once,
// and the translated body once per provider.
type legs struct {
	req    *Request
	mapped string
	cl     dialect
	fast   *upstream.Call
	canon  *llm.Request
	bodies map[string][]byte // translated bodies by bodyKey
}

func newLegs(req *Request, mapped string, cl dialect) *legs {
	return &legs{req: req, mapped: mapped, cl: cl}
}

// legFor returns the leg of an attempt on a.
func (d *Dispatcher) legFor(ctx context.Context, ls *legs, a *account.Account) (*leg, *llm.Error) {
	req := ls.req
	if sameProtocol(req, a) {
		if ls.fast == nil {
			body, err := ls.cl.rewrite(req.Body, ls.mapped)
			if err != nil {
				return nil, llm.Errorf(llm.KindInvalidRequest, "cannot set the model in the request body")
			}
			body = dropForeignSignatures(req.Protocol, body)
			// Same protocol: a JSON request stays JSON and its answer is
			// relayed byte for byte, fields the gateway does not know included.
			call := upstream.Call{Op: req.Op, Model: ls.mapped, Stream: req.Stream, Body: body, Header: req.Header, Beta: req.Beta, Session: req.SessionID}
			ls.fast = &call
		}
		return &leg{call: *ls.fast, up: ls.cl, cl: ls.cl, conv: &conveyor{}, provider: req.Protocol}, nil
	}
	if ls.canon == nil {
		r, e := clientCodecFor(req.Protocol, req.Op).decode(req.Body)
		if e != nil {
			return nil, e
		}
		ls.canon = r
	}
	p := llm.Protocol(a.Provider.Wire())
	pc := providerCodecFor(p)
	key := bodyKey(p, a.Capabilities)
	body, ok := ls.bodies[key]
	if !ok {
		h := d.historyFor(ctx, ls.canon, req.Protocol, p, req.Scope, req.SessionID)
		var err error
		if req.Op == upstream.OpCountTokens {
			if pc.encodeCount == nil {
				return nil, llm.Errorf(llm.KindInvalidRequest, "%s accounts cannot count tokens", p)
			}
			body, err = pc.encodeCount(h, ls.mapped)
		} else {
			body, err = pc.encode(h, ls.mapped, a.Capabilities)
		}
		if err != nil {
			return nil, llm.Errorf(llm.KindInvalidRequest, "the request cannot be expressed for a %s account: %v", p, err)
		}
		if ls.bodies == nil {
			ls.bodies = map[string][]byte{}
		}
		ls.bodies[key] = body
	}
	l := &leg{up: dialectFor(p), cl: ls.cl, translated: true, provider: p, bodyKey: key}
	if req.Op == upstream.OpCountTokens {
		l.call = upstream.Call{Op: upstream.OpCountTokens, Model: ls.mapped, Body: body}
		l.countAnswer = clientCodecFor(req.Protocol, req.Op).countAnswer
		l.parseCount = pc.parseCount
		l.conv = &conveyor{}
		return l, nil
	}
	l.call = upstream.Call{Op: upstream.OpGenerate, Model: ls.mapped, Stream: true, Body: body, Session: req.SessionID}
	l.collect = !req.Stream
	var rec *sigRecorder
	if p != llm.OpenAI && d.Signatures != nil {
		rec = &sigRecorder{family: string(p), scope: req.Scope, session: req.SessionID, message: len(ls.canon.Messages)}
	}
	opts := llm.EncodeOptions{Model: ls.mapped, IncludeUsage: req.IncludeUsage || !req.Stream, Created: time.Now().Unix(),
		InputTokens: protocol.EstimateInputTokens(ls.canon)}
	for _, t := range ls.canon.Tools {
		if t.Freeform {
			opts.Freeform = append(opts.Freeform, t.Name)
		}
		if t.Namespace != "" {
			if opts.Namespaced == nil {
				opts.Namespaced = map[string]string{}
			}
			opts.Namespaced[t.Name] = t.Namespace
		}
	}
	enc := clientCodecFor(req.Protocol, req.Op).newEncoder(opts)
	l.conv = &conveyor{dec: pc.newDecoder(), enc: enc, sigs: rec, family: string(p),
		markUnsigned: req.Protocol == llm.Anthropic, thinking: -1}
	return l, nil
}

// repaired stores a repaired body for the next attempt on the same provider.
func (ls *legs) repaired(l *leg, body []byte) {
	if !l.translated {
		ls.fast.Body = body
		return
	}
	ls.bodies[l.bodyKey] = body
}

// bodyKey names a translated body: one per provider, and one per capability
// override (account.Account.Capabilities) an account of that provider sets.
func bodyKey(p llm.Protocol, caps map[string]bool) string {
	k := string(p)
	for _, n := range protocol.CapabilityNames() {
		if v, ok := caps[n]; ok {
			k += "|" + n + "=" + strconv.FormatBool(v)
		}
	}
	return k
}
