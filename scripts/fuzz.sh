#!/usr/bin/env bash
# Runs every fuzz target in the module for a while each (default 20s).
# Seed corpora (f.Add and testdata/fuzz/) also run as plain tests in `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
dur="${1:-20s}"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for fn in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "== $pkg $fn ($dur)"
    go test "$pkg" -run '^$' -fuzz "^${fn}\$" -fuzztime "$dur"
  done
done
