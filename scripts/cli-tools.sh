#!/usr/bin/env bash
# Installs the real coding-agent CLIs that the end-to-end client tests (internal/app/cli_test.go) drive
# against the gateway, pinned, each into its own npm prefix under <repo>/bin/cli/<name>:
#   claude  @anthropic-ai/claude-code (Anthropic Messages client; a native binary from its platform package)
#   gemini  @google/gemini-cli        (Gemini API client)
#   codex   @openai/codex             (OpenAI Responses client; a native binary from its platform package)
# Separate prefixes so that one `npm install --no-save` never prunes another tool (or bin/node's
# playwright-core). Nothing here is part of the product.
# Idempotent: a CLI is installed only when missing or at another version.
#
# usage: scripts/cli-tools.sh
# env:   BIN (default <repo>/bin), CLAUDE_CODE_VERSION, GEMINI_CLI_VERSION, CODEX_VERSION
set -euo pipefail

CLAUDE_CODE_VERSION="${CLAUDE_CODE_VERSION:-2.1.332}"
GEMINI_CLI_VERSION="${GEMINI_CLI_VERSION:-0.61.0}"
CODEX_VERSION="${CODEX_VERSION:-0.171.0}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$root/bin}"
mkdir -p "$BIN/cli"
BIN="$(cd "$BIN" && pwd)"

log() { printf 'cli-tools: %s\n' "$*" >&2; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	log "installing nodejs and npm ..."
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq nodejs npm >/dev/null
fi

# install NAME PACKAGE VERSION [npm flags...]: puts PACKAGE@VERSION into $BIN/cli/NAME unless it is there.
install() {
	local name="$1" pkg="$2" version="$3"
	shift 3
	local prefix="$BIN/cli/$name"
	local manifest="$prefix/node_modules/$pkg/package.json"
	local have=""
	if [[ -f "$manifest" ]]; then
		have="$(node -p "require(process.argv[1]).version" "$manifest")"
	fi
	if [[ "$have" == "$version" ]] && "$prefix/node_modules/.bin/$name" --version >/dev/null 2>&1; then
		log "$pkg $have already in $prefix"
		return
	fi
	log "installing $pkg@$version into $prefix (was: ${have:-none}) ..."
	mkdir -p "$prefix"
	npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "$@" "$pkg@$version"
}

# Claude Code's postinstall only links the native binary of the platform package into place.
install claude @anthropic-ai/claude-code "$CLAUDE_CODE_VERSION"
# Gemini CLI is one bundled script; its optional native modules (pty, keychain) are not needed headless.
install gemini @google/gemini-cli "$GEMINI_CLI_VERSION" --ignore-scripts --omit=optional
install codex @openai/codex "$CODEX_VERSION" --ignore-scripts

for name in claude gemini codex; do
	log "$name: $("$BIN/cli/$name/node_modules/.bin/$name" --version 2>&1 | head -n 1)"
done
