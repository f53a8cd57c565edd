#!/usr/bin/env bash
# The manifest renderers kube-applier runs for Helm and Kustomize configs: pinned helm and
# kustomize, built from the Go module proxy into $SLUICE_CACHE/bin/ once and never committed.
#
#   infra/render-tools.sh build   build (or reuse) the cached binaries
#   infra/render-tools.sh path    print the two binaries' paths (helm, then kustomize)
#   infra/render-tools.sh env     print the export lines the tests read (KUBE_APPLIER_HELM_BIN, ...)
#
# helm comes from helm.sh/helm/v4 and kustomize from sigs.k8s.io/kustomize/kustomize/v5, each
# with `go install <module>@<version>` (their own go.mod and go.sum, so the dependency graph
# is the one the release pins). kustomize v5.8.2 is the newest whose go.mod a Go 1.26
# toolchain accepts (v5.8.3 requires Go 1.27).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=infra/lib.sh
source "$ROOT/infra/lib.sh"

HELM_VERSION=${SLUICE_HELM_VERSION:-v4.3.2}
KUSTOMIZE_VERSION=${SLUICE_KUSTOMIZE_VERSION:-v5.8.2}

HELM_BIN="$SLUICE_CACHE/bin/helm-$HELM_VERSION/helm"
KUSTOMIZE_BIN="$SLUICE_CACHE/bin/kustomize-$KUSTOMIZE_VERSION/kustomize"

log() { printf '[render-tools.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

go_env() {
  command -v go >/dev/null || die "go is required to build helm and kustomize"
  export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 GOTOOLCHAIN=${GOTOOLCHAIN:-local}
}

# go_install <module path of the command> <version> <binary> [ldflags]
go_install() {
  local pkg=$1 version=$2 bin=$3 ldflags=${4:-}
  [[ -x "$bin" ]] && return 0
  go_env
  local dir tmp
  dir=$(dirname "$bin")
  tmp="$dir/.gobin.$$"
  mkdir -p "$tmp"
  log "building $pkg@$version"
  GOBIN="$tmp" go install -trimpath -ldflags="-s -w $ldflags" "$pkg@$version"
  mv "$tmp/$(basename "$bin")" "$bin"
  rm -rf "$tmp"
}

cmd_build() {
  mkdir -p "$SLUICE_CACHE/bin"
  # Serialise concurrent builds (several test runs starting on a cold machine).
  exec 9>"$SLUICE_CACHE/bin/.render-tools.lock"
  flock 9
  local start=$SECONDS
  go_install helm.sh/helm/v4/cmd/helm "$HELM_VERSION" "$HELM_BIN" \
    "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION"
  go_install sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" "$KUSTOMIZE_BIN" \
    "-X sigs.k8s.io/kustomize/api/provenance.version=kustomize/$KUSTOMIZE_VERSION"
  flock -u 9
  log "binaries ready in $((SECONDS - start))s: $HELM_BIN $KUSTOMIZE_BIN"
}

case "${1:-}" in
  build) cmd_build ;;
  path) printf '%s\n%s\n' "$HELM_BIN" "$KUSTOMIZE_BIN" ;;
  env) printf 'export KUBE_APPLIER_HELM_BIN=%s\nexport KUBE_APPLIER_KUSTOMIZE_BIN=%s\n' "$HELM_BIN" "$KUSTOMIZE_BIN" ;;
  *) die "usage: $0 build | path | env" ;;
esac
