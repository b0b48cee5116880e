#!/usr/bin/env bash
# Installs what the operator console's end-to-end browser test (internal/app/console_test.go) needs:
#   chromium        Debian's package, driven headless at /usr/bin/chromium
#   playwright-core the Node library that drives it, pinned, into <repo>/bin/node/node_modules
# playwright-core has no dependencies and downloads no browser. Nothing here is part of the product: the
# console itself is plain HTML/CSS/JS embedded in the gateway binary.
# Idempotent: chromium is installed only when missing, playwright-core only when missing or another version.
#
# usage: scripts/browser-tools.sh
# env:   BIN (default <repo>/bin), PLAYWRIGHT_CORE_VERSION
set -euo pipefail

PLAYWRIGHT_CORE_VERSION="${PLAYWRIGHT_CORE_VERSION:-1.65.1}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$root/bin}"
mkdir -p "$BIN/node"
BIN="$(cd "$BIN" && pwd)"

log() { printf 'browser-tools: %s\n' "$*" >&2; }

# as_root runs a command as root: directly, or through sudo when available.
as_root() {
	if [[ "$(id -u)" == 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		log "need root to run: $*"
		exit 1
	fi
}

apt_install() {
	export DEBIAN_FRONTEND=noninteractive
	as_root apt-get update -qq
	as_root apt-get install -y -qq "$@" >/dev/null
}

if [[ ! -x /usr/bin/chromium ]]; then
	log "installing chromium ..."
	apt_install chromium
fi
log "$(/usr/bin/chromium --version 2>/dev/null || echo 'chromium: version unknown')"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	log "installing nodejs and npm ..."
	apt_install nodejs npm
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if ((node_major < 20)); then
	log "playwright-core $PLAYWRIGHT_CORE_VERSION needs Node.js 20 or newer; found $(node --version)"
	exit 1
fi

pkg="$BIN/node/node_modules/playwright-core/package.json"
have=""
if [[ -f "$pkg" ]]; then
	have="$(node -p "require(process.argv[1]).version" "$pkg")"
fi
if [[ "$have" == "$PLAYWRIGHT_CORE_VERSION" ]]; then
	log "playwright-core $have already in $BIN/node"
else
	log "installing playwright-core $PLAYWRIGHT_CORE_VERSION into $BIN/node (was: ${have:-none}) ..."
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$BIN/node" --no-save --no-audit --no-fund \
		--ignore-scripts --loglevel=error "playwright-core@$PLAYWRIGHT_CORE_VERSION"
fi
