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
# env:   BIN (default <repo>/bin), HELM_VERSION, HELM_KUBE_MINOR, KUSTOMIZE_VERSION
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
HELM_KUBE_MINOR="${HELM_KUBE_MINOR:-37}"
KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.8.2}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$root/bin}"
mkdir -p "$BIN"
BIN="$(cd "$BIN" && pwd)"

log() { printf 'deploy-tools: %s\n' "$*" >&2; }

# install <name> <module> <package> <version> [ldflags]
# A tool is up to date when `go version -m` reports the wanted module version and the stamp file next to
# it records the same ldflags (with -trimpath, Go does not record ldflags in the binary itself).
install() {
	local name="$1" module="$2" pkg="$3" version="$4" ldflags="${5:-}" have=""
	local stamp="$BIN/.$name.build" want="$pkg@$version $ldflags"
	if [[ -x "$BIN/$name" ]]; then
		have="$(go version -m "$BIN/$name" 2>/dev/null | awk -v m="$module" '$1 == "mod" && $2 == m { print $3 }')"
	fi
	if [[ "$have" == "$version" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
		log "$name $version already in $BIN"
		return 0
	fi
	log "building $name $version into $BIN (was: ${have:-none}) ..."
	local start=$SECONDS
	rm -f "$stamp"
	# Build outside the repository so no go.mod/go.work of the project influences the tool's build.
	(cd "$BIN" && GOWORK=off GOFLAGS= CGO_ENABLED=0 GOBIN="$BIN" go install -trimpath ${ldflags:+-ldflags="$ldflags"} "$pkg@$version")
	printf '%s' "$want" >"$stamp"
	log "$name $version built in $((SECONDS - start))s"
}

# What helm's own release build sets: its version string, and the Kubernetes version it assumes when no
# cluster is asked (helm template, helm lint), which is that of its client-go (v0.37 -> 1.37).
# Without these a `go install`ed helm reports "v3.22" and assumes Kubernetes 1.20.
helm_ldflags() {
	local p=helm.sh/helm/v3
	printf '%s' "-X $p/internal/version.version=$HELM_VERSION" \
		" -X $p/pkg/chartutil.k8sVersionMajor=1 -X $p/pkg/chartutil.k8sVersionMinor=$HELM_KUBE_MINOR" \
		" -X $p/pkg/lint/rules.k8sVersionMajor=1 -X $p/pkg/lint/rules.k8sVersionMinor=$HELM_KUBE_MINOR"
}

tools=("$@")
if [[ ${#tools[@]} -eq 0 ]]; then
	tools=(helm kustomize)
fi

for t in "${tools[@]}"; do
	case "$t" in
	helm) install helm helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm "$HELM_VERSION" "$(helm_ldflags)" ;;
	kustomize) install kustomize sigs.k8s.io/kustomize/kustomize/v5 sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" ;;
	*)
		log "unknown tool: $t (known: helm kustomize)"
		exit 2
		;;
	esac
done
