#!/usr/bin/env bash
# Starts the fake upstream and the gateway with the demo pool on the embedded
# store (no Redis, no network), prints working requests, and stops both on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
FAKE_ADDR=${FAKE_ADDR:-127.0.0.1:8090}
export FAKEUPSTREAM_ADDR=$FAKE_ADDR
"$BIN/fakeupstream" >/dev/null 2>"${TMPDIR:-/tmp}/switchyard-fakeupstream.log" &
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null || true' EXIT INT TERM
export SWITCHYARD_DEMO_UPSTREAM="http://$FAKE_ADDR"
export SWITCHYARD_LISTEN_ADDR=${SWITCHYARD_LISTEN_ADDR:-127.0.0.1:8045}
export SWITCHYARD_ADMIN_ADDR=${SWITCHYARD_ADMIN_ADDR:-127.0.0.1:8046}
export SWITCHYARD_ACCOUNTS_FILE=${SWITCHYARD_ACCOUNTS_FILE:-examples/demo/accounts.yaml}
export SWITCHYARD_ROUTES_FILE=${SWITCHYARD_ROUTES_FILE:-examples/demo/routes.yaml}
export SWITCHYARD_ADMIN_KEY=${SWITCHYARD_ADMIN_KEY:-demo-admin}
# demo-admin is a known placeholder: the gateway refuses it unless this flag says it is a demo.
# (The demo listens on loopback only and keeps tokens in process memory: no SWITCHYARD_SECRETS_KEY needed.)
export SWITCHYARD_ALLOW_DEMO_KEYS=${SWITCHYARD_ALLOW_DEMO_KEYS:-true}
export SWITCHYARD_LOG_FORMAT=${SWITCHYARD_LOG_FORMAT:-text}
cat <<MSG
Switchyard demo: gateway on http://$SWITCHYARD_LISTEN_ADDR, fake upstream on http://$FAKE_ADDR, embedded store.
Try (no client key is needed on loopback):

  curl -s http://$SWITCHYARD_LISTEN_ADDR/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"gpt-4o","messages":[{"role":"user","content":"Hello there, gateway!"}]}' -D - 

  curl -sN http://$SWITCHYARD_LISTEN_ADDR/v1/messages -H 'content-type: application/json' -H 'anthropic-version: 2023-06-01' \\
    -d '{"model":"claude-sonnet-4-5","max_tokens":256,"stream":true,"messages":[{"role":"user","content":"Hello there, gateway!"}]}'

  curl -s "http://$SWITCHYARD_LISTEN_ADDR/v1beta/models/gemini-2.5-pro:generateContent" -H 'content-type: application/json' \\
    -d '{"contents":[{"role":"user","parts":[{"text":"Hello there, gateway!"}]}]}'

  # a Google account (provider codeassist, "Login with Google"): gemini-2.5-flash is routed to it, and its
  # project and tier are discovered from (fake) Code Assist; the X-Account-Email header names grace@demo.example
  curl -s http://$SWITCHYARD_LISTEN_ADDR/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hello there, Code Assist!"}]}' -D -

  # translation: an Anthropic client answered by a Gemini account, an OpenAI client by an Anthropic one
  curl -s http://$SWITCHYARD_LISTEN_ADDR/v1/messages -H 'content-type: application/json' -H 'anthropic-version: 2023-06-01' \\
    -d '{"model":"gemini-2.5-pro","max_tokens":256,"messages":[{"role":"user","content":"Hello there, gateway!"}]}'

  curl -s http://$SWITCHYARD_LISTEN_ADDR/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Hello there, gateway!"}]}'

  curl -s http://$SWITCHYARD_ADMIN_ADDR/admin/accounts -H 'authorization: Bearer $SWITCHYARD_ADMIN_KEY'

Operator console: http://$SWITCHYARD_ADMIN_ADDR/admin/ui/ (admin key: $SWITCHYARD_ADMIN_KEY)

MSG
"$BIN/switchyard"
