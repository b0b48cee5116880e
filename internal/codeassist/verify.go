package codeassist

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/switchyard-gw/switchyard/internal/account"
)

// Verification is Code Assist asking the account's owner to verify the
// account (403 VALIDATION_REQUIRED) before it serves again.
type Verification struct {
	Reason string    `json:"reason"`
	URL    string    `json:"url,omitempty"` // where the owner verifies, when Google named it
	At     time.Time `json:"at"`
}

// verifyURLKeys are the ErrorInfo metadata keys that carry the link.
var verifyURLKeys = []string{"validation_link", "validation_url", "validationUrl", "validationLink", "appeal_url"}

var urlInText = regexp.MustCompile(`https://[^\s"'<>\\]+`)

// verification reads a 403 that asks for account verification.
func verification(status int, body []byte) (Verification, bool) {
	if status != http.StatusForbidden {
		return Verification{}, false
	}
	lower := bytes.ToLower(body)
	if !bytes.Contains(lower, []byte("validation_required")) && !bytes.Contains(lower, []byte("verify your account")) &&
		!bytes.Contains(lower, []byte("validation_url")) {
		return Verification{}, false
	}
	root := gjson.ParseBytes(body)
	if root.IsArray() {
		root = root.Get("0")
	}
	e := root.Get("error")
	v := Verification{Reason: "VALIDATION_REQUIRED", At: time.Now()}
	if m := e.Get("message").Str; m != "" {
		v.Reason = "VALIDATION_REQUIRED: " + clip(m, 300)
	}
	e.Get("details").ForEach(func(_, d gjson.Result) bool {
		for _, k := range verifyURLKeys {
			if u := d.Get("metadata." + gjson.Escape(k)).Str; strings.HasPrefix(u, "https://") {
				v.URL = u
				return false
			}
		}
		if u := d.Get("links.0.url").Str; strings.HasPrefix(u, "https://") && v.URL == "" {
			v.URL = u
		}
		return true
	})
	if v.URL == "" {
		v.URL = urlInText.FindString(e.Get("message").Str)
	}
	return v, true
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// noteVerification keeps the request for the operator view, for as long as
// the account cools.
func (s *Service) noteVerification(ctx context.Context, a *account.Account, v Verification) {
	s.opts.Log.LogAttrs(ctx, slog.LevelWarn, "code assist asks to verify the account; it rests",
		slog.String("account", a.ID), slog.Duration("cooldown", s.opts.VerifyCooldown))
	if s.rdb == nil {
		s.mu.Lock()
		s.verifies[a.ID] = localVerification{v: v, until: time.Now().Add(s.opts.VerifyCooldown)}
		s.mu.Unlock()
		return
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	key := s.keys.verify(a.ID)
	p := s.rdb.TxPipeline()
	p.HSet(wctx, key, "reason", v.Reason, "url", v.URL, "at", strconv.FormatInt(v.At.UnixMilli(), 10))
	p.PExpire(wctx, key, s.opts.VerifyCooldown)
	if _, err := p.Exec(wctx); err != nil {
		s.opts.Log.LogAttrs(ctx, slog.LevelWarn, "record verification request", slog.String("account", a.ID), slog.String("error", err.Error()))
	}
}
