#!/usr/bin/env bash
# Real Kubernetes control plane for integration tests: etcd + kube-apiserver on loopback.
#
#   infra/kube.sh build          build (or reuse) the cached binaries
#   infra/kube.sh up <rundir>    start etcd + kube-apiserver, install CRDs and RBAC,
#                                write <rundir>/kube.env (idempotent)
#   infra/kube.sh down <rundir>  stop both processes (SIGTERM, then SIGKILL)
#
# Binaries are built from the Go module proxy into $SLUICE_CACHE/bin/<version>/ and never
# committed. kube-apiserver comes from k8s.io/kubernetes used as a dependency of a throwaway
# wrapper module in which every staging module (k8s.io/api, ...) is replaced by its
# published v0.Y.Z; etcd comes from go.etcd.io/etcd/server/v3 at the version that
# Kubernetes release pins in its go.mod.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=infra/lib.sh
source "$ROOT/infra/lib.sh"

KUBE_VERSION=${SLUICE_KUBE_VERSION:-v1.35.4}
# The etcd server version k8s.io/kubernetes@v1.35.4 requires in its go.mod.
ETCD_VERSION=${SLUICE_ETCD_VERSION:-v3.6.5}

ETCD_CLIENT_PORT=52379
ETCD_PEER_PORT=52380
APISERVER_PORT=56443

KUBE_BIN="$SLUICE_CACHE/bin/kube-apiserver-$KUBE_VERSION"
ETCD_BIN="$SLUICE_CACHE/bin/etcd-$ETCD_VERSION"
SRC="$SLUICE_CACHE/src"

log() { echo "[kube.sh] $*" >&2; }

go_env() {
  command -v go >/dev/null || die "go is required to build kube-apiserver and etcd"
  export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=${GOTOOLCHAIN:-local}
}

build_kube_apiserver() {
  [[ -x "$KUBE_BIN/kube-apiserver" ]] && return 0
  go_env
  local dir="$SRC/kube-apiserver-$KUBE_VERSION" minor=${KUBE_VERSION#v1.}
  local staging_version="v0.$minor" kube_mod
  mkdir -p "$dir"
  log "building kube-apiserver $KUBE_VERSION (staging modules at $staging_version)"
  kube_mod=$(cd "$dir" && GOFLAGS= go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | jq -r .GoMod)
  [[ -f "$kube_mod" ]] || die "could not download k8s.io/kubernetes@$KUBE_VERSION"
  {
    echo "module sluice.local/kube-apiserver"
    echo
    grep -m1 '^go ' "$kube_mod"
    grep -m1 '^godebug ' "$kube_mod" || true
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    # Every staging module: "k8s.io/x => ./staging/src/k8s.io/x" becomes "k8s.io/x => k8s.io/x v0.Y.Z".
    awk -v v="$staging_version" '$2 == "=>" && $3 ~ /^\.\/staging\// { printf "\t%s => %s %s\n", $1, $1, v }' "$kube_mod"
    echo ")"
  } >"$dir/go.mod"
  rm -f "$dir/go.sum"
  local pkg=k8s.io/component-base/version
  local ldflags="-s -w -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=${minor%%.*}"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  mkdir -p "$KUBE_BIN"
  (cd "$dir" && go build -trimpath -ldflags="$ldflags" -o "$KUBE_BIN/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver)
  mv "$KUBE_BIN/kube-apiserver.tmp" "$KUBE_BIN/kube-apiserver"
}

build_etcd() {
  [[ -x "$ETCD_BIN/etcd" ]] && return 0
  go_env
  local dir="$SRC/etcd-$ETCD_VERSION"
  mkdir -p "$dir"
  log "building etcd $ETCD_VERSION"
  cat >"$dir/go.mod" <<MOD
module sluice.local/etcd

go 1.24

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
MOD
  # Same entry point as etcd's own main.go.
  cat >"$dir/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  rm -f "$dir/go.sum"
  mkdir -p "$ETCD_BIN"
  (cd "$dir" && go build -trimpath -ldflags="-s -w" -o "$ETCD_BIN/etcd.tmp" .)
  mv "$ETCD_BIN/etcd.tmp" "$ETCD_BIN/etcd"
}

cmd_build() {
  mkdir -p "$SLUICE_CACHE/bin"
  # Serialise concurrent builds (several test runs starting on a cold machine).
  exec 9>"$SLUICE_CACHE/bin/.build.lock"
  flock 9
  local start=$SECONDS
  build_etcd
  build_kube_apiserver
  flock -u 9
  log "binaries ready in $((SECONDS - start))s: $ETCD_BIN/etcd $KUBE_BIN/kube-apiserver"
}

case "${1:-}" in
  build) cmd_build ;;
  *) die "usage: $0 build | up <rundir> | down <rundir>" ;;
esac
