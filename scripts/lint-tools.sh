#!/usr/bin/env bash
# Installs golangci-lint, which `make lint` runs (config: .golangci.yml), into ./bin.
# Built from source with `go install` through the Go module proxy, so nothing but Go is needed; about
# 4 minutes on 2 cores, once per machine.
# Idempotent: rebuilt only when ./bin/golangci-lint is missing, was built from another version, or by
# another Go than the current one (golangci-lint refuses code for a newer Go than it was built with);
# both are checked with `go version -m`, which reads what the binary records.
#
# usage: scripts/lint-tools.sh
# env:   BIN (default <repo>/bin), GOLANGCI_LINT_VERSION
set -euo pipefail

GOLANGCI_LINT_VERSION="${GOLANGCI_LINT_VERSION:-v2.15.0}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$root/bin}"
mkdir -p "$BIN"
BIN="$(cd "$BIN" && pwd)"

log() { printf 'lint-tools: %s\n' "$*" >&2; }

module=github.com/golangci/golangci-lint/v2
have="" built_with=""
if [[ -x "$BIN/golangci-lint" ]]; then
	info="$(go version -m "$BIN/golangci-lint" 2>/dev/null || true)"
	have="$(awk -v m="$module" '$1 == "mod" && $2 == m { print $3 }' <<<"$info")"
	built_with="$(awk 'NR == 1 { print $2 }' <<<"$info")"
fi
if [[ "$have" == "$GOLANGCI_LINT_VERSION" && "$built_with" == "$(go env GOVERSION)" ]]; then
	log "golangci-lint $have already in $BIN"
	exit 0
fi
log "building golangci-lint $GOLANGCI_LINT_VERSION into $BIN (was: ${have:-none}) ..."
start=$SECONDS
# Build outside the repository so no go.mod/go.work of the project influences the tool's build.
(cd "$BIN" && GOWORK=off GOFLAGS= GOBIN="$BIN" go install "$module/cmd/golangci-lint@$GOLANGCI_LINT_VERSION")
log "golangci-lint $GOLANGCI_LINT_VERSION built in $((SECONDS - start))s"
