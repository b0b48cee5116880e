// Package dispatch is the one request pipeline for every client protocol:
// route the model, pick an account, send, peek the stream, classify the
// outcome with one table, report it to the scheduler, and either relay the
// answer or try again on another account before the client sees a byte.
package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/llm"
	"github.com/switchyard-gw/switchyard/internal/retry"
	"github.com/switchyard-gw/switchyard/internal/schedule"
	"github.com/switchyard-gw/switchyard/internal/upstream"
)

// Scheduler is the part of the scheduler the loop uses.
type Scheduler interface {
	Acquire(ctx context.Context, q schedule.Query) (schedule.Lease, error)
	Report(ctx context.Context, o schedule.Outcome) (time.Time, error)
	NoteSuccess(account, group string)
	// ReleaseKey ends an admitted request of a client key, off the request
	// path: the tokens its answer used (0 when unknown) reconcile what its
	// admission reserved (the admitting Lease.Reserved), and the in-flight
	// lease is given back.
	ReleaseKey(name, lease string, tokens int64, reserved schedule.KeyReservation)
}

// Sender sends one attempt upstream.
type Sender interface {
	Send(ctx context.Context, a *account.Account, call upstream.Call) (*http.Response, error)
}

// Router resolves a client model to a route.
type Router interface {
	Resolve(model string, client llm.Protocol, op upstream.Op) (*Route, *llm.Error)
}

// Policy holds the loop's limits.
type Policy struct {
	MaxAttempts       int
	RequestTimeout    time.Duration // overall deadline of one client request
	FirstEventTimeout time.Duration // a stream must show a meaningful event within this
	IdleTimeout       time.Duration // max silence inside a committed stream
	KeepAlive         time.Duration // heartbeat to the client during upstream silence
	RateLimitGrace    time.Duration // when every account cools, wait if one frees within this
	MaxEventBytes     int           // bound on one SSE event
	MaxResponseBytes  int64         // bound on a non-streamed answer
	CaptureBytes      int           // > 0: keep the start of each answer in Result (body capture)
}

// Observer sees every attempt (traces, metrics). It returns the context the
// attempt runs in and a function called once when the attempt ends.
type Observer interface {
	Attempt(ctx context.Context, info AttemptInfo) (context.Context, func(AttemptEnd))
}

// AttemptInfo describes an attempt as it starts.
type AttemptInfo struct {
	N         int // 0-based
	Protocol  llm.Protocol
	Op        upstream.Op
	Account   *account.Account
	Decision  string
	Requested string
	Mapped    string
	SessionID string
	Stream    bool
}

// AttemptEnd describes how an attempt ended.
type AttemptEnd struct {
	Status  int
	Outcome string
	Reason  string
	Answer  llm.Answer
	Error   string // user-safe summary, "" on success
}

// Dispatcher runs the attempt loop. Build it once in the composition root.
type Dispatcher struct {
	Router   Router
	Sched    Scheduler
	Upstream Sender
	Policy   Policy
	Log      *slog.Logger
	Observer Observer // nil: none
	// OAuth accounts: Tokens drops a token refused with 401 before one retry on
	// the same account; Disabler disables an account on invalid_grant.
	Tokens   TokenInvalidator
	Disabler Disabler
	// Signatures keeps thinking signatures across protocols (nil: none).
	Signatures Signatures
	// Protocols are the wire protocols clients and accounts speak.
	Protocols *Protocols
	// Sleep waits d unless ctx ends first and reports whether the full time
	// passed (nil: a timer). Tests inject one to run waits instantly.
	Sleep func(ctx context.Context, d time.Duration) bool

	quotaSeen sync.Map // "<account>|<group>" -> quotaMark of the last quota report
}

// quotaEvery bounds how often one replica writes learned quota for one
// account and group: providers send rate-limit headers on every answer, and
// writing each would double the Redis round trips of healthy requests. A low
// quota (below schedule.LowQuota, where protection may act on it) is written at once
// when it fell by quotaStep since the last write, else at most every
// lowQuotaEvery: a provider that keeps serving at "0 remaining" does not cost
// a script call per request.
const (
	quotaEvery    = 10 * time.Second
	lowQuotaEvery = time.Second
	quotaStep     = 0.05
)

// quotaMark is the last learned quota this replica wrote for an account and
// group.
type quotaMark struct {
	at       time.Time
	fraction float64
}

// quotaDue reports whether learned quota should be written now.
func (d *Dispatcher) quotaDue(account, group string, fraction float64) bool {
	k := account + "|" + group
	now := time.Now()
	if v, ok := d.quotaSeen.Load(k); ok {
		m := v.(quotaMark)
		age := now.Sub(m.at)
		switch {
		case fraction >= schedule.LowQuota && age < quotaEvery:
			return false
		case fraction < schedule.LowQuota && age < lowQuotaEvery && m.fraction-fraction < quotaStep:
			return false
		}
	}
	d.quotaSeen.Store(k, quotaMark{at: now, fraction: fraction})
	return true
}

// Request is a decoded client request.
type Request struct {
	Protocol  llm.Protocol // client protocol
	Op        upstream.Op
	Model     string // client model
	Body      []byte
	Stream    bool
	SessionID string
	Scope     string // id of the client key
	Header    http.Header
	Beta      bool
	RequestID string
	// IncludeUsage: the client asked for a final usage chunk (stream_options).
	IncludeUsage bool
	// KeyName names the client key (its usage and limits); KeyLimits are
	// checked atomically with the first selection.
	KeyName   string
	KeyLimits schedule.KeyLimits
}

// Attempt is one upstream try, for logs, traces and the request log.
type Attempt struct {
	Account  string        `json:"account"`
	Email    string        `json:"email"`
	Decision string        `json:"decision"`
	Status   int           `json:"status,omitempty"`
	Outcome  string        `json:"outcome"`
	Reason   string        `json:"reason,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// Result summarises a served request.
type Result struct {
	Status   int
	Mapped   string
	Email    string
	Attempts []Attempt
	TTFB     time.Duration // until the answer was committed to the client
	Answer   llm.Answer
	// AnswerSample is the start of the answer (JSON, or the first stream
	// event), only when Policy.CaptureBytes > 0.
	AnswerSample []byte
	Error        string
}

// Serve runs the loop for one request and writes the answer to w.
func (d *Dispatcher) Serve(ctx context.Context, w http.ResponseWriter, req *Request) Result {
	start := time.Now()
	if d.Policy.RequestTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.Policy.RequestTimeout)
		defer cancel()
	}
	res := Result{}
	cl, ok := d.Protocols.Client(req.Protocol, req.Op)
	if !ok {
		e := llm.Errorf(llm.KindServer, "the gateway does not speak this protocol")
		writeError(w, plainEnvelope{}, e)
		res.Status, res.Error = e.Status, e.Message
		return res
	}
	fail := func(e *llm.Error) Result {
		writeError(w, cl, e)
		res.Status, res.Error = e.Status, e.Message
		return res
	}
	rt, lerr := d.Router.Resolve(req.Model, req.Protocol, req.Op)
	if lerr != nil {
		return fail(lerr)
	}
	res.Mapped = rt.Mapped
	w.Header().Set("X-Mapped-Model", rt.Mapped)
	ls := newLegs(req, rt.Mapped, cl)

	adm := d.admission(req)
	keyLease := adm.Lease // pick clears adm once the request is admitted
	var reserved schedule.KeyReservation
	if adm.Name != "" {
		defer func() {
			if adm.Name == "" { // admitted: the selection cleared the request
				d.Sched.ReleaseKey(req.KeyName, keyLease, res.Answer.Usage.InputTokens+res.Answer.Usage.OutputTokens, reserved)
			}
		}()
	}
	var (
		attempted []string
		pinned    *account.Account // next attempt stays on this account (short hint, repair)
		last      *attempt
		repaired  bool
		waited    time.Duration // total time spent waiting for accounts
		reauthed  bool          // an OAuth 401 already dropped the token and retried
		shortOnce bool          // a short 429 hint already sent this request back to its account
	)
	for n := 0; n < d.Policy.MaxAttempts; n++ {
		acct, lease, lerr := d.pick(ctx, req, rt, n, attempted, pinned, &waited, last, &adm)
		pinned = nil
		if lease.Reserved.Tokens > 0 {
			reserved = lease.Reserved // the admitting selection's reservation
		}
		if lerr != nil {
			if clientGone(ctx) {
				res.Status, res.Error = 499, "client disconnected"
				return res
			}
			// The selection's answer already tells the last attempt's failure
			// (poolError), with its Retry-After when the pool cools.
			return fail(lerr)
		}
		if !contains(attempted, acct.ID) {
			attempted = append(attempted, acct.ID)
		}
		w.Header().Set("X-Account-Email", acct.Email)
		res.Email = acct.Email

		// A request the account's protocol cannot express is the client's
		// error: nothing was sent, so nothing is reported.
		lg, lerr := d.legFor(ctx, ls, acct)
		if lerr != nil {
			return fail(lerr)
		}
		t0 := time.Now()
		actx, end := d.observe(ctx, AttemptInfo{N: n, Protocol: req.Protocol, Op: req.Op, Account: acct, Decision: lease.Decision,
			Requested: req.Model, Mapped: rt.Mapped, SessionID: req.SessionID, Stream: req.Stream})
		at := d.try(actx, acct, lg)
		v := d.authOutcome(ctx, acct, at, classify(at.obs), &reauthed)
		var fixed []byte // the repaired body of a signature error
		if v.action == actRepair {
			// Once per request, and only when the body had something to
			// repair; otherwise the provider's refusal is the client's.
			var ok bool
			if fixed, ok = lg.up.RepairSignatures(lg.call.Body); repaired || !ok {
				v = verdict{action: actPassThrough, reason: retry.ReasonClientError}
			}
		}
		res.Attempts = append(res.Attempts, Attempt{
			Account: acct.ID, Email: acct.Email, Decision: lease.Decision, Status: at.obs.status,
			Outcome: v.action.String(), Reason: string(v.reason), Duration: time.Since(t0),
		})
		if clientGone(ctx) && v.action != actSucceed {
			// The client went away: not the account's fault, nothing to write.
			at.close()
			end(AttemptEnd{Status: 499, Outcome: "client_gone", Error: "client disconnected"})
			res.Status, res.Error = 499, "client disconnected"
			return res
		}
		d.report(ctx, req, rt, acct, lease, v, at, n > 0)
		if v.action != actSucceed {
			d.logFailure(ctx, req, n, at, v)
			end(AttemptEnd{Status: at.obs.status, Outcome: v.action.String(), Reason: string(v.reason), Error: at.errMsg})
		}
		switch v.action {
		case actSucceed:
			res.TTFB = time.Since(start)
			if n := d.Policy.CaptureBytes; n > 0 {
				sample := at.body
				if at.events != nil {
					sample = at.first
				}
				res.AnswerSample = append([]byte(nil), sample[:min(n+1, len(sample))]...)
			}
			res.Status = at.relay(w, d.Policy)
			res.Answer = at.answer
			d.saveSignatures(ctx, lg.conv.sigs)
			if at.brokenMsg != "" {
				res.Error = at.brokenMsg
			}
			end(AttemptEnd{Status: res.Status, Outcome: v.action.String(), Answer: at.answer, Error: at.brokenMsg})
			return res
		case actPassThrough:
			res.Status = at.passThrough(w)
			return res
		case actSameAccount:
			if v.shortHint && shortOnce {
				v.sleep = 0 // same account once per request after a short hint; then rotate
				break
			}
			shortOnce = shortOnce || v.shortHint
			pinned = acct
		case actRepair:
			repaired, pinned = true, acct
			ls.repaired(lg, fixed)
		}
		at.close()
		last = at
		if n+1 < d.Policy.MaxAttempts && v.sleep > 0 {
			if !d.sleep(ctx, v.sleep) {
				break
			}
		}
	}
	if clientGone(ctx) {
		res.Status, res.Error = 499, "client disconnected"
		return res
	}
	if last == nil {
		return fail(llm.Errorf(llm.KindUnavailable, "no account could be tried"))
	}
	return fail(last.clientError(len(res.Attempts)))
}

// logFailure writes one line per failed attempt with its cause, so operators
// see why an account fails (a refused token refresh, a refused connection)
// and not only the reason class. The cause is the transport error, without
// URLs or credentials; an upstream error body is never logged, since it may
// quote the prompt.
func (d *Dispatcher) logFailure(ctx context.Context, req *Request, n int, at *attempt, v verdict) {
	attrs := []slog.Attr{
		slog.String("request_id", req.RequestID),
		slog.Int("attempt", n+1),
		slog.String("account", at.acct.ID),
		slog.Int("status", at.obs.status),
		slog.String("outcome", v.action.String()),
		slog.String("reason", string(v.reason)),
		slog.String("summary", at.errMsg),
	}
	if at.err != nil {
		cause := scrubSecrets([]byte(at.err.Error()), secretsOf(at.acct, nil))
		attrs = append(attrs, slog.String("cause", string(cause[:min(len(cause), 512)])))
	}
	lvl := slog.LevelWarn
	if v.action == actPassThrough {
		lvl = slog.LevelInfo // the client's own error, not the account's
	}
	d.Log.LogAttrs(ctx, lvl, "attempt failed", attrs...)
}

// pick selects the account of attempt n, waiting when the policy allows.
func (d *Dispatcher) pick(ctx context.Context, req *Request, rt *Route, n int, attempted []string,
	pinned *account.Account, waited *time.Duration, last *attempt, adm *schedule.KeyAdmission) (*account.Account, schedule.Lease, *llm.Error) {
	none := schedule.Lease{}
	if pinned != nil {
		// Same account again: its streak is unknown here, so a success reports.
		return pinned, schedule.Lease{Status: schedule.StatusOK, Account: pinned.ID, Decision: "retry_same", Streak: 1}, nil
	}
	// The selection script decides whether to wait (CacheFirst for the bound
	// account, or for the pool within the grace) and whether the accounts
	// already tried may serve again; the loop only sleeps as told.
	q := schedule.Query{Group: rt.Group, Scope: req.Scope, SessionID: req.SessionID, Candidates: rt.Candidates,
		Attempted: attempted, Force: n > 0, Key: *adm, Grace: d.Policy.RateLimitGrace,
		RetryTried: last != nil && last.transient()}
	for {
		q.Waited, q.Deadline = *waited, 0
		if dl, ok := ctx.Deadline(); ok {
			q.Deadline = max(time.Until(dl), time.Millisecond)
		}
		l, err := d.Sched.Acquire(ctx, q)
		if err != nil {
			d.Log.LogAttrs(ctx, slog.LevelError, "scheduler unavailable", slog.String("error", err.Error()))
			return nil, none, llm.Errorf(llm.KindUnavailable, "the gateway's scheduling store is unavailable")
		}
		switch l.Status {
		case schedule.StatusKeyLimit:
			return nil, none, keyLimitError(req.KeyName, l)
		case schedule.StatusOK:
			// Admitted: later selections of this request are not counted.
			*adm, q.Key = schedule.KeyAdmission{}, schedule.KeyAdmission{}
			if a := rt.Account(l.Account); a != nil {
				return a, l, nil
			}
			// The lease still goes back: it carries the admission's reservation.
			return nil, l, llm.Errorf(llm.KindServer, "selected account is not in the pool")
		case schedule.StatusWait:
			w := l.Wait
			if l.Decision != "sticky" {
				w += jitter(w) // replicas waiting for one pool do not all come back at once
			}
			*waited += w
			if !d.sleep(ctx, w) {
				return nil, none, llm.Errorf(llm.KindTimeout, "request deadline passed while waiting for an account")
			}
			if l.Decision == "sticky" {
				// CacheFirst: the bound account again, keeping the binding.
				q.Attempted, q.Force = without(q.Attempted, l.Account), false
			}
			continue
		}
		return nil, none, poolError(rt, l, last, n, overloadedStatus(d.Protocols, req))
	}
}

func (d *Dispatcher) report(ctx context.Context, req *Request, rt *Route, a *account.Account, lease schedule.Lease, v verdict, at *attempt, rotated bool) {
	o := schedule.Outcome{Account: a.ID, Group: rt.Group, Scope: req.Scope, SessionID: req.SessionID}
	switch {
	case v.action == actSucceed:
		d.Sched.NoteSuccess(a.ID, rt.Group)
		// Serving from the fixed account binds nothing (the pin is temporary).
		o.Success, o.Rebind = true, rotated && lease.Decision != "fixed"
		if at.quota.Known && d.quotaDue(a.ID, rt.Group, at.quota.Fraction) {
			o.QuotaKnown, o.Quota, o.QuotaReset = true, at.quota.Fraction, at.quota.Reset
		}
		if !schedule.NeedsReport(lease, o) {
			return
		}
	case v.scope == "":
		return
	default:
		o.CooldownScope, o.Reason, o.Hint, o.Base, o.Cap, o.Tolerate = v.scope, string(v.reason), at.obs.hint.RetryAfter, v.base, v.cap, v.tolerate
		o.ShortHint = v.shortHint
	}
	// Report even when the client has gone: the account's state is shared.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if _, err := d.Sched.Report(rctx, o); err != nil {
		d.Log.LogAttrs(ctx, slog.LevelWarn, "report outcome", slog.String("account", a.ID), slog.String("error", err.Error()))
	}
}

func (d *Dispatcher) observe(ctx context.Context, info AttemptInfo) (context.Context, func(AttemptEnd)) {
	if d.Observer == nil {
		return ctx, func(AttemptEnd) {}
	}
	return d.Observer.Attempt(ctx, info)
}

// clientGone reports whether the client cancelled the request (not its
// deadline).
func clientGone(ctx context.Context) bool {
	return ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled)
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 50 * time.Millisecond
	}
	return time.Duration(rand.Int64N(int64(d)/5 + 1))
}

func (d *Dispatcher) sleep(ctx context.Context, t time.Duration) bool {
	if d.Sleep != nil {
		return d.Sleep(ctx, t)
	}
	return sleepCtx(ctx, t)
}

// sleepCtx sleeps unless ctx ends first; it reports whether the full time passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
