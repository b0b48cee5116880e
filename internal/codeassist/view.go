package codeassist

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard-gw/switchyard/internal/account"
)

// View is what the operator API shows of a codeassist account.
type View struct {
	Project string `json:"project,omitempty"`
	// ProjectSource is "file", "discovered", or "pending" (not discovered yet).
	ProjectSource string `json:"project_source"`
	// TierID is Code Assist's tier id; TierSource says where the account's
	// tier comes from: "file", "code_assist", or "pending".
	TierID       string        `json:"tier_id,omitempty"`
	TierSource   string        `json:"tier_source"`
	DiscoveredAt *time.Time    `json:"discovered_at,omitempty"`
	Quota        *QuotaRead    `json:"quota,omitempty"`
	Verification *Verification `json:"verification,omitempty"`
}

// Describe returns the account's Code Assist state from the shared store
// (nil for other providers) and the tier to show: the discovered one when
// the file names none.
func (s *Service) Describe(ctx context.Context, a *account.Account) (*View, account.Tier) {
	if a.Provider != account.CodeAssist {
		return nil, a.Tier
	}
	v := &View{Project: a.Project, ProjectSource: "file", TierSource: "file"}
	tier := a.Tier
	if a.Project == "" {
		v.ProjectSource = "pending"
	}
	if a.TierAuto {
		v.TierSource = "pending"
	}
	info, ok := s.cached(a)
	if s.rdb != nil {
		if stored, found, err := s.load(ctx, a, fingerprint(a)); err == nil && found {
			info, ok = stored, true
		}
	}
	if ok && needsDiscovery(a) {
		v.Project, v.TierID = info.Project, info.TierID
		if a.Project == "" {
			v.ProjectSource = "discovered"
		}
		if a.TierAuto && info.Tier.Valid() {
			v.TierSource, tier = "code_assist", info.Tier
		}
		if !info.At.IsZero() {
			at := info.At
			v.DiscoveredAt = &at
		}
	}
	if s.rdb == nil {
		s.mu.Lock()
		if r, ok := s.reads[a.ID]; ok {
			v.Quota = &r
		}
		if lv, ok := s.verifies[a.ID]; ok && time.Now().Before(lv.until) {
			vr := lv.v
			v.Verification = &vr
		}
		s.mu.Unlock()
		return v, tier
	}
	if q, err := s.rdb.HGetAll(ctx, s.keys.quota(a.ID)).Result(); err == nil && q["at"] != "" {
		v.Quota = parseQuotaRead(q)
	}
	if w, err := s.rdb.HGetAll(ctx, s.keys.verify(a.ID)).Result(); err == nil && w["reason"] != "" {
		vr := &Verification{Reason: w["reason"], URL: w["url"]}
		if ms, err := strconv.ParseInt(w["at"], 10, 64); err == nil {
			vr.At = time.UnixMilli(ms)
		}
		v.Verification = vr
	}
	return v, tier
}

func parseQuotaRead(h map[string]string) *QuotaRead {
	r := &QuotaRead{Models: map[string]ModelQuota{}}
	if ms, err := strconv.ParseInt(h["at"], 10, 64); err == nil {
		r.At = time.UnixMilli(ms)
	}
	for k, val := range h {
		m, ok := strings.CutPrefix(k, "m:")
		if !ok {
			continue
		}
		frac, reset, _ := strings.Cut(val, ":")
		f, err := strconv.ParseFloat(frac, 64)
		if err != nil {
			continue
		}
		q := ModelQuota{Remaining: f}
		if ms, err := strconv.ParseInt(reset, 10, 64); err == nil && ms > 0 {
			q.Reset = time.UnixMilli(ms)
		}
		r.Models[m] = q
	}
	return r
}
