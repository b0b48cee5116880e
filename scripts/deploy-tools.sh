#!/usr/bin/env bash
# Installs the tools the offline deployment checks (deploy/validate) need into ./bin:
#   helm       chart lint and render
#   kustomize  builds k8s/base and k8s/overlays/*
# Both are built from source with `go install` through the Go module proxy, so nothing but Go is needed.
# Idempotent: a tool is rebuilt only when ./bin/<tool> is missing or was built from another version
# (checked with `go version -m`, which reads the module version recorded in the binary).
# Helm takes about 3-4 minutes to build on 2 cores; kustomize well under a minute.
#
# usage: scripts/deploy-tools.sh [helm] [kustomize]     (no argument: all of them)
# env:   BIN (default <repo>/bin), HELM_VERSION, KUSTOMIZE_VERSION
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.8.3}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$root/bin}"
mkdir -p "$BIN"
BIN="$(cd "$BIN" && pwd)"

log() { printf 'deploy-tools: %s\n' "$*" >&2; }

# install <name> <module> <package> <version>
install() {
	local name="$1" module="$2" pkg="$3" version="$4" have=""
	if [[ -x "$BIN/$name" ]]; then
		have="$(go version -m "$BIN/$name" 2>/dev/null | awk -v m="$module" '$1 == "mod" && $2 == m { print $3 }')"
	fi
	if [[ "$have" == "$version" ]]; then
		log "$name $version already in $BIN"
		return 0
	fi
	log "building $name $version into $BIN (was: ${have:-none}) ..."
	local start=$SECONDS
	# Build outside the repository so no go.mod/go.work of the project influences the tool's build.
	(cd "$BIN" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 GOBIN="$BIN" go install "$pkg@$version")
	log "$name $version built in $((SECONDS - start))s"
}

tools=("$@")
if [[ ${#tools[@]} -eq 0 ]]; then
	tools=(helm kustomize)
fi

for t in "${tools[@]}"; do
	case "$t" in
	helm) install helm helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm "$HELM_VERSION" ;;
	kustomize) install kustomize sigs.k8s.io/kustomize/kustomize/v5 sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" ;;
	*)
		log "unknown tool: $t (known: helm kustomize)"
		exit 2
		;;
	esac
done
