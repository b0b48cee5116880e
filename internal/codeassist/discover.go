package codeassist

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchyard-gw/switchyard/internal/account"
)

// Info is what Code Assist says about an account.
type Info struct {
	Project string
	// Tier is the account's tier (the file's when it names one); TierID is
	// Code Assist's own tier id ("free-tier", "standard-tier", …), "" when
	// it was not read.
	Tier   account.Tier
	TierID string
	// At is when it was discovered (zero: taken from the accounts file).
	At time.Time
}

// Refusal is a non-2xx answer of Code Assist to a discovery call. Send hands
// it to the dispatch loop as the attempt's answer, so it is classified like
// any other (401 re-authenticates, 403 cools the account, …).
type Refusal struct {
	Method string
	Status int
	Header http.Header
	Body   []byte
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("codeassist %s answered %d", r.Method, r.Status)
}

// needsDiscovery reports whether the file leaves anything to discover.
func needsDiscovery(a *account.Account) bool { return a.Project == "" || a.TierAuto }

// Info returns the account's project and tier, discovering them once for
// every replica: from this replica's memory, else the shared store, else
// Code Assist (one replica at a time, under a lock in the store).
func (s *Service) Info(ctx context.Context, a *account.Account) (Info, error) {
	if !needsDiscovery(a) {
		return Info{Project: a.Project, Tier: a.Tier}, nil
	}
	fp := fingerprint(a)
	now := time.Now()
	s.mu.Lock()
	c, ok := s.infos[a.ID]
	s.mu.Unlock()
	if ok && c.fp == fp && now.Before(c.expires) {
		return c.info, nil
	}
	ch := s.flight.DoChan(a.ID+"\x00"+fp, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.DiscoverWait+2*s.opts.CallTimeout+s.opts.OnboardMax)
		defer cancel()
		info, err := s.obtain(fctx, a, fp)
		if err == nil {
			s.remember(a.ID, fp, info)
		}
		return info, err
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return Info{}, r.Err
		}
		return r.Val.(Info), nil
	case <-ctx.Done():
		return Info{}, fmt.Errorf("account %s: waiting for the code assist project: %w", a.ID, ctx.Err())
	}
}

func (s *Service) remember(id, fp string, info Info) {
	ttl := s.opts.InfoTTL
	if !info.At.IsZero() {
		ttl -= time.Since(info.At)
	}
	s.mu.Lock()
	prev, had := s.infos[id]
	s.infos[id] = cachedInfo{info: info, fp: fp, expires: time.Now().Add(max(ttl, time.Minute))}
	s.mu.Unlock()
	if !had || prev.info.Tier != info.Tier {
		s.gen.Add(1)
	}
}

// cached returns what this replica knows of the account, without any call.
func (s *Service) cached(a *account.Account) (Info, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.infos[a.ID]
	return c.info, ok && c.fp == fingerprint(a)
}

// obtain reads the shared store or discovers under its lock.
func (s *Service) obtain(ctx context.Context, a *account.Account, fp string) (Info, error) {
	if s.rdb == nil {
		return s.discover(ctx, a)
	}
	deadline := time.Now().Add(s.opts.DiscoverWait)
	backoff := 25 * time.Millisecond
	for {
		info, ok, err := s.load(ctx, a, fp)
		if err != nil {
			s.opts.Log.LogAttrs(ctx, slog.LevelWarn, "shared store unreachable; discovering the code assist project on this replica",
				slog.String("account", a.ID), slog.String("error", err.Error()))
			return s.discover(ctx, a)
		}
		if ok {
			return info, nil
		}
		key := s.keys.discoverLock(a.ID)
		owner, got, err := lock(ctx, s.rdb, key, 2*s.opts.CallTimeout+s.opts.OnboardMax)
		if err != nil {
			return s.discover(ctx, a)
		}
		if got {
			info, err := s.discoverAndStore(ctx, a, fp)
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			if uerr := unlock(uctx, s.rdb, key, owner); uerr != nil {
				s.opts.Log.LogAttrs(ctx, slog.LevelWarn, "release discovery lock", slog.String("account", a.ID), slog.String("error", uerr.Error()))
			}
			cancel()
			return info, err
		}
		if time.Now().Add(backoff).After(deadline) {
			return Info{}, fmt.Errorf("account %s: another replica's code assist discovery did not finish within %s", a.ID, s.opts.DiscoverWait)
		}
		if err := sleep(ctx, backoff); err != nil {
			return Info{}, fmt.Errorf("account %s: waiting for the code assist project: %w", a.ID, err)
		}
		backoff = min(backoff*2, 500*time.Millisecond)
	}
}

// load reads the shared discovered state; ok is false when there is none
// for these credentials.
func (s *Service) load(ctx context.Context, a *account.Account, fp string) (Info, bool, error) {
	v, err := s.rdb.HGetAll(ctx, s.keys.info(a.ID)).Result()
	if err != nil {
		return Info{}, false, fmt.Errorf("read code assist state: %w", err)
	}
	if v["fp"] != fp || v["project"] == "" {
		return Info{}, false, nil
	}
	info := Info{Project: v["project"], Tier: account.Tier(v["tier"]), TierID: v["tier_id"]}
	if ms, err := strconv.ParseInt(v["at"], 10, 64); err == nil {
		info.At = time.UnixMilli(ms)
	}
	if !a.TierAuto || !info.Tier.Valid() {
		info.Tier = a.Tier
	}
	return info, true, nil
}

func (s *Service) discoverAndStore(ctx context.Context, a *account.Account, fp string) (Info, error) {
	info, err := s.discover(ctx, a)
	if err != nil {
		return Info{}, err
	}
	// This replica schedules by what it learned before anyone can read it
	// from the shared store (the admin view reads the store).
	s.remember(a.ID, fp, info)
	key := s.keys.info(a.ID)
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, key)
		p.HSet(ctx, key, "fp", fp, "project", info.Project, "tier", string(info.Tier), "tier_id", info.TierID,
			"at", strconv.FormatInt(info.At.UnixMilli(), 10))
		p.PExpire(ctx, key, s.opts.InfoTTL)
		return nil
	})
	if err != nil {
		s.opts.Log.LogAttrs(ctx, slog.LevelWarn, "publish code assist project", slog.String("account", a.ID), slog.String("error", err.Error()))
	}
	return info, nil
}

// loadResponse is what loadCodeAssist answers (the fields used here).
type loadResponse struct {
	CurrentTier  *tierInfo  `json:"currentTier"`
	AllowedTiers []tierInfo `json:"allowedTiers"`
	PaidTier     *tierInfo  `json:"paidTier"`
	Project      any        `json:"cloudaicompanionProject"` // a string; an object {id} in some answers
}

type tierInfo struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	IsDefault bool   `json:"isDefault"`
}

// operation is onboardUser's long-running operation.
type operation struct {
	Name     string `json:"name"`
	Done     bool   `json:"done"`
	Response struct {
		Project any `json:"cloudaicompanionProject"`
	} `json:"response"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// projectID reads cloudaicompanionProject, a string or an object {id}.
func projectID(v any) string {
	switch p := v.(type) {
	case string:
		return p
	case map[string]any:
		id, _ := p["id"].(string)
		return id
	}
	return ""
}

// metadata is the client description Code Assist expects.
func metadata(project string) map[string]any {
	m := map[string]any{"ideType": "IDE_UNSPECIFIED", "platform": "PLATFORM_UNSPECIFIED", "pluginType": "GEMINI"}
	if project != "" {
		m["duetProject"] = project
	}
	return m
}

// discover asks Code Assist for the account's project and tier, onboarding
// the user when the account has no current tier.
func (s *Service) discover(ctx context.Context, a *account.Account) (Info, error) {
	req := map[string]any{"metadata": metadata(a.Project)}
	if a.Project != "" {
		req["cloudaicompanionProject"] = a.Project
	}
	var lr loadResponse
	if err := s.call(ctx, a, http.MethodPost, "/v1internal:loadCodeAssist", req, &lr); err != nil {
		return Info{}, err
	}
	info := Info{Project: a.Project, At: time.Now()}
	if info.Project == "" {
		info.Project = projectID(lr.Project)
	}
	tierID, tierName := "", ""
	if lr.CurrentTier != nil && lr.CurrentTier.ID != "" {
		tierID, tierName = lr.CurrentTier.ID, lr.CurrentTier.Name
	} else {
		onboarded, id, err := s.onboard(ctx, a, &lr)
		if err != nil {
			return Info{}, err
		}
		tierID = id
		for _, t := range lr.AllowedTiers {
			if t.ID == id {
				tierName = t.Name
			}
		}
		if info.Project == "" {
			info.Project = onboarded
		}
	}
	info.TierID = tierID
	info.Tier = a.Tier
	if a.TierAuto {
		var paid TierRef
		if lr.PaidTier != nil {
			paid = TierRef{ID: lr.PaidTier.ID, Name: lr.PaidTier.Name}
		}
		info.Tier = TierOf(TierRef{ID: tierID, Name: tierName}, paid)
	}
	if info.Project == "" {
		return Info{}, fmt.Errorf("account %s: code assist names no project for this account (tier %s): set project in the accounts file", a.ID, tierID)
	}
	s.opts.Log.LogAttrs(ctx, slog.LevelInfo, "code assist account discovered", slog.String("account", a.ID),
		slog.String("tier", string(info.Tier)), slog.String("tier_id", tierID))
	return info, nil
}

// onboard registers the user for the default allowed tier and waits for
// the operation; it returns the project Code Assist assigned and the tier.
func (s *Service) onboard(ctx context.Context, a *account.Account, lr *loadResponse) (string, string, error) {
	tierID := "legacy-tier"
	for _, t := range lr.AllowedTiers {
		if t.IsDefault && t.ID != "" {
			tierID = t.ID
			break
		}
	}
	req := map[string]any{"tierId": tierID, "metadata": metadata(a.Project)}
	if a.Project != "" && tierID != "free-tier" {
		req["cloudaicompanionProject"] = a.Project
	}
	octx, cancel := context.WithTimeout(ctx, s.opts.OnboardMax)
	defer cancel()
	pause := s.opts.OnboardPoll
	var op operation
	if err := s.call(octx, a, http.MethodPost, "/v1internal:onboardUser", req, &op); err != nil {
		return "", "", err
	}
	for !op.Done {
		if err := sleep(octx, pause); err != nil {
			return "", "", fmt.Errorf("account %s: onboarding did not finish within %s", a.ID, s.opts.OnboardMax)
		}
		pause = min(pause*2, 5*time.Second)
		var err error
		if op.Name != "" {
			name := op.Name
			op = operation{}
			err = s.call(octx, a, http.MethodGet, "/v1internal/"+strings.TrimPrefix(name, "/"), nil, &op)
		} else {
			op = operation{}
			err = s.call(octx, a, http.MethodPost, "/v1internal:onboardUser", req, &op)
		}
		if err != nil {
			return "", "", err
		}
	}
	if op.Error != nil {
		return "", "", fmt.Errorf("account %s: onboarding failed (%d)", a.ID, op.Error.Code)
	}
	return projectID(op.Response.Project), tierID, nil
}

// TierRef names a Code Assist tier as loadCodeAssist does: an id
// ("free-tier", "legacy-tier", "standard-tier", "g1-pro-tier",
// "g1-ultra-tier", …) and a display name.
type TierRef struct{ ID, Name string }

// TierOf maps an account's Code Assist tiers to the gateway's by their ids
// and names: the better of the current tier and the paid tier (a Google AI
// subscription), where a tier whose id or name says "ultra" is ultra, one
// whose id says "free" (or, without an id, whose name does) is free, and any
// other (legacy, standard, enterprise, a Google AI Pro subscription, another
// paid tier) is pro. An account with neither is free.
func TierOf(current, paid TierRef) account.Tier {
	best := account.Free
	for _, t := range []TierRef{current, paid} {
		if c := tierClass(t); c != "" && c.Rank() < best.Rank() {
			best = c
		}
	}
	return best
}

// tierClass is the gateway tier of one Code Assist tier, "" for none.
func tierClass(t TierRef) account.Tier {
	id, name := strings.ToLower(strings.TrimSpace(t.ID)), strings.ToLower(strings.TrimSpace(t.Name))
	switch {
	case strings.Contains(id, "ultra") || strings.Contains(name, "ultra"):
		return account.Ultra
	case strings.Contains(id, "free") || (id == "" && strings.Contains(name, "free")):
		return account.Free
	case id == "" && name == "":
		return ""
	}
	return account.Pro
}

// maxAnswer bounds a discovery or quota answer.
const maxAnswer = 4 << 20

// call sends one Code Assist method and decodes its JSON answer into out.
// A non-2xx answer is a *Refusal.
func (s *Service) call(ctx context.Context, a *account.Account, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("codeassist %s: encode: %w", path, err)
		}
		body = bytes.NewReader(b)
	}
	cctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, method, a.BaseURL+path, body)
	if err != nil {
		return fmt.Errorf("codeassist %s: build request: %w", path, err)
	}
	if err := s.authorize(ctx, req, a); err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.opts.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("codeassist %s: %w", path, transportError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("codeassist %s: read answer: %w", path, transportError(err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			data = errorJSON(data)
		}
		return &Refusal{Method: path, Status: resp.StatusCode, Header: resp.Header.Clone(), Body: data}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("codeassist %s: answer is not the expected JSON", path)
	}
	return nil
}

// authorize sets the account's bearer token and the client headers.
func (s *Service) authorize(ctx context.Context, req *http.Request, a *account.Account) error {
	if a.OAuth == nil || s.opts.Tokens == nil {
		return fmt.Errorf("account %s: a codeassist account needs oauth credentials", a.ID)
	}
	tok, err := s.opts.Tokens.AccessToken(ctx, a)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if s.opts.UserAgent != "" {
		req.Header.Set("User-Agent", s.opts.UserAgent)
	}
	return nil
}

// transportError drops the URL from a transport error, keeping the cause.
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
