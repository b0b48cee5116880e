#!/usr/bin/env bash
# Installs everything `make test` needs, so that on a fresh machine the suite runs whole and skips nothing:
#   redis-server  the real Redis the store tests run beside miniredis (Debian's package, when missing)
#   helm, kustomize                 scripts/deploy-tools.sh  (deploy/validate)
#   chromium, playwright-core       scripts/browser-tools.sh (console browser tests)
#   claude, gemini, codex           scripts/cli-tools.sh     (TestCLIAgentLoops)
#   golangci-lint                   scripts/lint-tools.sh    (make lint)
# Each step is idempotent and quick when its tool is already there. A tool that cannot be installed
# stops here with its reason; `make test` then runs the tests with CI set, so a missing tool fails its
# test instead of skipping it.
#
# usage: scripts/test-tools.sh
# env:   BIN (default <repo>/bin), and each script's version pins
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v redis-server >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "test-tools: redis-server is missing and apt-get is not available: install redis-server" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "test-tools: installing redis-server needs root" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq redis-server >/dev/null
fi
redis-server --version

scripts/deploy-tools.sh
scripts/browser-tools.sh
scripts/cli-tools.sh
scripts/lint-tools.sh
