package dispatch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/protocol"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// When the client's protocol differs from the account's provider, the request
// goes through the canonical model of package llm: the client's side decodes
// it once, the provider's side encodes it (once per provider), and every
// upstream stream event is decoded into canonical events and re-encoded in
// the client's protocol. Translated calls always stream; a non-streaming
// client gets the client protocol's collector over the re-encoded events.
// On the same protocol a request is forwarded as it is (model rewritten) and
// a JSON request stays JSON.

// leg is how one attempt talks to its account: the call in the account's
// protocol, the wire it answers in, the client's side, and the conveyor
// between them.
type leg struct {
	call       upstream.Call
	up         Wire     // what the upstream answers in
	cl         Client   // what the client speaks
	prov       Provider // translated: the account's protocol; nil on the fast path
	conv       *conveyor
	collect    bool // a non-streaming client is served from a streamed call
	count      bool // a translated token count
	translated bool
	bodyKey    string // of the translated body in legs.bodies
	// omitted lists, comma-separated, the client's tools the translated
	// request left out (llm.Request.Omitted); relay names them to the client
	// in OmittedToolsHeader.
	omitted string
}

// OmittedToolsHeader is the response header that names the tools a
// translated request was sent without: tools the client offered that only
// its own protocol's provider runs (such as the Responses API's web_search).
const OmittedToolsHeader = "X-Switchyard-Omitted-Tools"

// legs builds and caches the calls of one request: the fast-path call once,
// and the translated body once per provider.
type legs struct {
	req    *Request
	mapped string
	cl     Client
	fast   *upstream.Call
	canon  *llm.Request
	bodies map[string][]byte // translated bodies by bodyKey
}

func newLegs(req *Request, mapped string, cl Client) *legs {
	return &legs{req: req, mapped: mapped, cl: cl}
}

// legFor returns the leg of an attempt on a.
func (d *Dispatcher) legFor(ctx context.Context, ls *legs, a *account.Account) (*leg, *llm.Error) {
	req := ls.req
	if sameProtocol(req, a) {
		if ls.fast == nil {
			body, err := ls.cl.RewriteModel(req.Body, ls.mapped)
			if err != nil {
				return nil, llm.Errorf(llm.KindInvalidRequest, "cannot set the model in the request body")
			}
			body = ls.cl.DropForeignSignatures(body)
			// Same protocol: a JSON request stays JSON and its answer is
			// relayed byte for byte, fields the gateway does not know included.
			call := upstream.Call{Op: req.Op, Model: ls.mapped, Stream: req.Stream, Body: body, Header: req.Header, Beta: req.Beta, Session: req.SessionID}
			ls.fast = &call
		}
		return &leg{call: *ls.fast, up: ls.cl, cl: ls.cl, conv: &conveyor{}}, nil
	}
	p := llm.Protocol(a.Provider.Wire())
	prov, ok := d.Protocols.Provider(p)
	if !ok {
		return nil, llm.Errorf(llm.KindServer, "no protocol is registered for %s accounts", p)
	}
	if ls.canon == nil {
		r, e := ls.cl.DecodeRequest(req.Body)
		if e != nil {
			return nil, e
		}
		ls.canon = r
		if len(r.Omitted) > 0 { // once per request: the request is decoded once
			d.Log.LogAttrs(ctx, slog.LevelDebug, "tools left out of a translated request", slog.String("request_id", req.RequestID),
				slog.String("provider", string(p)), slog.String("tools", strings.Join(r.Omitted, ",")))
		}
	}
	key := bodyKey(p, a.Capabilities)
	body, ok := ls.bodies[key]
	if !ok {
		h := d.historyFor(ctx, ls.canon, req.Protocol, p, prov.Signing(), req.Scope, req.SessionID)
		var err error
		if req.Op == upstream.OpCountTokens {
			if !prov.CountsTokens() {
				return nil, llm.Errorf(llm.KindInvalidRequest, "%s accounts cannot count tokens", p)
			}
			body, err = prov.EncodeCountRequest(h, ls.mapped)
		} else {
			body, err = prov.EncodeRequest(h, ls.mapped, a.Capabilities)
		}
		if err != nil {
			return nil, llm.Errorf(llm.KindInvalidRequest, "the request cannot be expressed for a %s account: %v", p, err)
		}
		if ls.bodies == nil {
			ls.bodies = map[string][]byte{}
		}
		ls.bodies[key] = body
	}
	l := &leg{up: prov, cl: ls.cl, prov: prov, translated: true, bodyKey: key, omitted: strings.Join(ls.canon.Omitted, ",")}
	if req.Op == upstream.OpCountTokens {
		l.call = upstream.Call{Op: upstream.OpCountTokens, Model: ls.mapped, Body: body}
		l.count = true
		l.conv = &conveyor{}
		return l, nil
	}
	l.call = upstream.Call{Op: upstream.OpGenerate, Model: ls.mapped, Stream: true, Body: body, Session: req.SessionID}
	l.collect = !req.Stream
	var rec *sigRecorder
	if prov.Signing() != llm.SigningNone && d.Signatures != nil {
		rec = &sigRecorder{family: string(p), scope: req.Scope, session: req.SessionID, message: len(ls.canon.Messages)}
	}
	opts := llm.EncodeOptions{Model: ls.mapped, IncludeUsage: req.IncludeUsage || !req.Stream, Created: time.Now().Unix(),
		InputTokens: protocol.EstimateInputTokens(ls.canon), NewID: randomID}
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
	l.conv = &conveyor{dec: prov.NewStreamDecoder(randomID), enc: ls.cl.NewStreamEncoder(opts), sigs: rec, family: string(p),
		markUnsigned: ls.cl.Signing() == llm.SigningThinking, thinking: -1}
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

// sameProtocol reports whether a client request can be forwarded to the
// account as it is (only the model rewritten).
func sameProtocol(req *Request, a *account.Account) bool {
	return llm.Protocol(a.Provider.Wire()) == req.Protocol
}

// randomID is the id source of the protocol encoders and decoders: 24 hex
// digits from the system's random source.
func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
