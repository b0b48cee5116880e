// Package codeassist lets the gateway serve requests with Google accounts as
// Gemini CLI's "Login with Google" holds them: an OAuth refresh token whose
// access tokens only Google's Code Assist API (cloudcode-pa, v1internal)
// accepts, not the public Gemini API.
//
// Code Assist speaks the Gemini protocol inside an envelope: a request is
// {model, project, user_prompt_id, request: <GenerateContent body>} posted to
// /v1internal:generateContent or :streamGenerateContent?alt=sse, and every
// answer, the JSON one and each SSE event, is {"response": <Gemini answer>,
// "traceId"}. [Service.Send] puts the envelope on and takes it off at the
// transport, so the rest of the gateway sees plain Gemini bytes and treats a
// codeassist account exactly like a gemini one.
//
// An account's project (and, when the accounts file names none, its tier) is
// discovered once with loadCodeAssist, onboarding the user (onboardUser, a
// long-running operation) when the account has no current tier. The result is
// kept in the shared store, so every replica reuses it; a lock in the store
// makes one replica do the discovery. [Service.RunQuota] reads each account's
// remaining quota (retrieveUserQuota) on an interval, one replica per account
// at a time, and feeds it to the scheduler's learned quota.
//
// Nothing here logs a credential or prompt text.
package codeassist
