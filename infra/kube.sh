#!/usr/bin/env bash
# Real Kubernetes control plane for integration tests: etcd + kube-apiserver +
# kube-controller-manager on loopback.
#
#   infra/kube.sh build          build (or reuse) the cached binaries
#   infra/kube.sh up <rundir>    start etcd, kube-apiserver and kube-controller-manager,
#                                install CRDs and RBAC, write <rundir>/kube.env (idempotent)
#   infra/kube.sh down <rundir>  stop the three processes (SIGTERM, then SIGKILL)
#
# kube-controller-manager runs only the controllers the tests need (KCM_CONTROLLERS): Jobs,
# owner-reference garbage collection, namespace deletion and the default ServiceAccount.
# Never the Deployment or ReplicaSet controllers: tests play those (and the node: no
# kubelet or scheduler runs here) by patching status.
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

ETCD_CLIENT_PORT=${SLUICE_ETCD_PORT:-52379}
ETCD_PEER_PORT=${SLUICE_ETCD_PEER_PORT:-52380}
APISERVER_PORT=${SLUICE_APISERVER_PORT:-56443}

KUBE_BIN="$SLUICE_CACHE/bin/kube-apiserver-$KUBE_VERSION"
KCM_CONTROLLERS=${SLUICE_KCM_CONTROLLERS:-job-controller,garbage-collector-controller,namespace-controller,serviceaccount-controller}
ETCD_BIN="$SLUICE_CACHE/bin/etcd-$ETCD_VERSION"
SRC="$SLUICE_CACHE/src"

log() { echo "[kube.sh] $*" >&2; }

go_env() {
  command -v go >/dev/null || die "go is required to build kube-apiserver and etcd"
  export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 GOTOOLCHAIN=${GOTOOLCHAIN:-local}
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

# Same throwaway module as kube-apiserver (build_kube_apiserver writes it), another command.
build_kube_controller_manager() {
  [[ -x "$KUBE_BIN/kube-controller-manager" ]] && return 0
  go_env
  local dir="$SRC/kube-apiserver-$KUBE_VERSION" minor=${KUBE_VERSION#v1.}
  [[ -f "$dir/go.mod" ]] || die "build kube-apiserver first: $dir/go.mod is missing"
  log "building kube-controller-manager $KUBE_VERSION"
  local pkg=k8s.io/component-base/version
  local ldflags="-s -w -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=${minor%%.*}"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  (cd "$dir" && go build -trimpath -ldflags="$ldflags" -o "$KUBE_BIN/kube-controller-manager.tmp" k8s.io/kubernetes/cmd/kube-controller-manager)
  mv "$KUBE_BIN/kube-controller-manager.tmp" "$KUBE_BIN/kube-controller-manager"
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
  build_kube_controller_manager
  flock -u 9
  log "binaries ready in $((SECONDS - start))s: $ETCD_BIN/etcd $KUBE_BIN/kube-apiserver $KUBE_BIN/kube-controller-manager"
}

KUBE_DIR() { echo "$1/kube"; }

# Running and not a zombie (an unreaped child must not keep "down" waiting forever).
running() {
  kill -0 "$1" 2>/dev/null || return 1
  [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

# Is the pid in <pidfile> alive and one of ours (its command line names <rundir>)?
pid_alive() {
  local pidfile=$1 rundir=$2 pid
  [[ -f "$pidfile" ]] || return 1
  pid=$(<"$pidfile")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  running "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$rundir"
}

stop_pid() {
  local pidfile=$1 rundir=$2 name=$3 pid
  if pid_alive "$pidfile" "$rundir"; then
    pid=$(<"$pidfile")
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 15))
    while running "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    if running "$pid"; then
      log "$name did not stop on SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while running "$pid"; do sleep 0.1; done
    fi
  fi
  rm -f "$pidfile"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A port the kernel has nobody on (listening or connected) right now.
free_port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

# Names the process listening on a port, for the error message (best effort).
port_holder() { ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 | xargs -r ps -o pid=,args= -p 2>/dev/null | cut -c1-160; }

fail_with_log() {
  local logfile=$1
  shift
  echo "error: $*" >&2
  if [[ -f "$logfile" ]]; then
    echo "---- last 40 lines of $logfile ----" >&2
    tail -n 40 "$logfile" >&2
  fi
  exit 1
}

# Certificates, service-account keys and tokens are generated once per rundir and reused.
make_credentials() {
  local kd=$1 pki=$1/pki
  mkdir -p "$pki"
  chmod 700 "$pki"
  if [[ ! -f "$pki/serving.crt" ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=sluice-test-ca" \
      -keyout "$pki/ca.key" -out "$pki/ca.crt" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
      -keyout "$pki/serving.key" -out "$pki/serving.csr" 2>/dev/null
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc" \
      "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" >"$pki/serving.ext"
    openssl x509 -req -in "$pki/serving.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
      -days 3650 -extfile "$pki/serving.ext" -out "$pki/serving.crt" 2>/dev/null
  fi
  if [[ ! -f "$pki/sa.key" ]]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key" 2>/dev/null
    openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
  fi
  if [[ ! -f "$kd/tokens.csv" ]]; then
    # token,user,uid,"groups"
    echo "$(openssl rand -hex 32),sluice-test-admin,sluice-test-admin,\"system:masters\"" >"$kd/tokens.csv"
    chmod 600 "$kd/tokens.csv"
  fi
}

admin_token() { cut -d, -f1 "$1/tokens.csv"; }

readyz() {
  curl -fsS --max-time 3 --cacert "$1/pki/ca.crt" -H "Authorization: Bearer $(admin_token "$1")" \
    "https://127.0.0.1:$APISERVER_PORT/readyz" | grep -qx ok
}

etcd_healthy() { curl -fsS --max-time 3 "http://127.0.0.1:$ETCD_CLIENT_PORT/health" | grep -q '"health":"true"'; }

write_kubeconfig() {
  local kd=$1
  cat >"$kd/admin.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
  - name: sluice-test
    cluster:
      server: https://127.0.0.1:$APISERVER_PORT
      certificate-authority: $kd/pki/ca.crt
users:
  - name: sluice-test-admin
    user:
      token: $(admin_token "$kd")
contexts:
  - name: sluice-test
    context:
      cluster: sluice-test
      user: sluice-test-admin
current-context: sluice-test
KC
  chmod 600 "$kd/admin.kubeconfig"
}

start_etcd() {
  local rundir=$1 kd=$2
  port_free "$ETCD_CLIENT_PORT" && port_free "$ETCD_PEER_PORT" ||
    die "etcd ports $ETCD_CLIENT_PORT/$ETCD_PEER_PORT are taken by a process not recorded in $kd (another rundir? stop it with infra/kube.sh down <that rundir>): $(port_holder "$ETCD_CLIENT_PORT")"
  local attempt
  for attempt in 1 2 3; do
    # A fresh store every start: tests must not depend on leftovers.
    rm -rf "$kd/etcd-data"
    log "starting etcd $ETCD_VERSION on 127.0.0.1:$ETCD_CLIENT_PORT"
    setsid "$ETCD_BIN/etcd" --name sluice-test --data-dir "$kd/etcd-data" \
      --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
      --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
      --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-cluster "sluice-test=http://127.0.0.1:$ETCD_PEER_PORT" \
      --unsafe-no-fsync --log-level warn \
      >"$kd/etcd.log" 2>&1 </dev/null &
    echo $! >"$kd/etcd.pid"
    wait_for 60 "etcd /health" etcd_healthy && return 0
    # The ports are in the kernel's ephemeral range: an outgoing connection of another process
    # may hold one for a moment (seen once in CI). Not listening, so port_free cannot tell.
    grep -q 'address already in use' "$kd/etcd.log" && [ "$attempt" -lt 3 ] || break
    # Nothing outside this script connects to etcd: any two free ports do.
    ETCD_CLIENT_PORT=$(free_port) ETCD_PEER_PORT=$(free_port)
    log "etcd: a port was held by an outgoing connection; starting again on $ETCD_CLIENT_PORT/$ETCD_PEER_PORT"
  done
  fail_with_log "$kd/etcd.log" "etcd did not become healthy"
}

start_apiserver() {
  local rundir=$1 kd=$2
  port_free "$APISERVER_PORT" ||
    die "kube-apiserver port $APISERVER_PORT is taken by a process not recorded in $kd (another rundir? stop it with infra/kube.sh down <that rundir>): $(port_holder "$APISERVER_PORT")"
  log "starting kube-apiserver $KUBE_VERSION on https://127.0.0.1:$APISERVER_PORT"
  # --watch-cache-sizes=configmaps#0: configmap watches go straight to etcd, so a compaction
  # makes an old resourceVersion really "410 Gone" (the watch-relist test relies on it);
  # every other resource keeps the watch cache (and with it, bookmarks).
  setsid "$KUBE_BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
    --cert-dir="$kd/pki" --tls-cert-file="$kd/pki/serving.crt" --tls-private-key-file="$kd/pki/serving.key" \
    --token-auth-file="$kd/tokens.csv" --anonymous-auth=false \
    --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$kd/pki/sa.pub" --service-account-signing-key-file="$kd/pki/sa.key" \
    --service-cluster-ip-range=10.96.0.0/24 \
    --watch-cache-sizes=configmaps#0 \
    --profiling=false \
    >"$kd/kube-apiserver.log" 2>&1 </dev/null &
  echo $! >"$kd/kube-apiserver.pid"
  local timeout=${SLUICE_KUBE_READY_TIMEOUT:-120}
  if ! wait_for "$timeout" "kube-apiserver /readyz" readyz "$kd"; then
    pid_alive "$kd/kube-apiserver.pid" "$rundir" || fail_with_log "$kd/kube-apiserver.log" "kube-apiserver exited"
    fail_with_log "$kd/kube-apiserver.log" "kube-apiserver not ready after ${timeout}s"
  fi
}

kcm_healthy() {
  pid_alive "$1/kube-controller-manager.pid" "$2" && grep -q 'Started controller\|Starting controller\|"Started' "$1/kube-controller-manager.log" 2>/dev/null
}

start_controller_manager() {
  local rundir=$1 kd=$2
  log "starting kube-controller-manager ($KCM_CONTROLLERS)"
  # --secure-port=0: no serving endpoint (nothing scrapes it); --leader-elect=false: one instance.
  setsid "$KUBE_BIN/kube-controller-manager" \
    --kubeconfig="$kd/admin.kubeconfig" \
    --controllers="$KCM_CONTROLLERS" \
    --leader-elect=false --secure-port=0 \
    --use-service-account-credentials=false \
    --root-ca-file="$kd/pki/ca.crt" \
    --concurrent-job-syncs=5 --concurrent-gc-syncs=10 \
    --profiling=false \
    >"$kd/kube-controller-manager.log" 2>&1 </dev/null &
  echo $! >"$kd/kube-controller-manager.pid"
  wait_for 60 "kube-controller-manager" kcm_healthy "$kd" "$rundir" ||
    fail_with_log "$kd/kube-controller-manager.log" "kube-controller-manager did not start its controllers"
}

cmd_up() {
  local rundir=${1:-}
  [[ -n "$rundir" ]] || die "usage: $0 up <rundir>"
  mkdir -p "$rundir"
  rundir=$(cd "$rundir" && pwd)
  local kd
  kd=$(KUBE_DIR "$rundir")
  mkdir -p "$kd"
  cmd_build
  command -v openssl >/dev/null || die "openssl is required"
  command -v curl >/dev/null || die "curl is required"
  make_credentials "$kd"

  if pid_alive "$kd/etcd.pid" "$rundir" && pid_alive "$kd/kube-apiserver.pid" "$rundir" && readyz "$kd"; then
    log "already running (rundir $rundir)"
    write_kubeconfig "$kd"
  else
    # Whatever is left of a previous run goes first, apiserver before its store.
    stop_pid "$kd/kube-controller-manager.pid" "$rundir" kube-controller-manager
    stop_pid "$kd/kube-apiserver.pid" "$rundir" kube-apiserver
    stop_pid "$kd/etcd.pid" "$rundir" etcd
    start_etcd "$rundir" "$kd"
    start_apiserver "$rundir" "$kd"
    write_kubeconfig "$kd"
  fi
  pid_alive "$kd/kube-controller-manager.pid" "$rundir" || start_controller_manager "$rundir" "$kd"

  log "installing CRDs and RBAC"
  command -v node >/dev/null || die "node is required to install the CRDs and RBAC"
  KUBE_SERVER="https://127.0.0.1:$APISERVER_PORT" KUBE_CA="$kd/pki/ca.crt" KUBE_TOKEN=$(admin_token "$kd") \
    node "$ROOT/infra/kube-apply.mjs" --wait-established \
    "$ROOT"/deploy/crds/*.yaml "$ROOT"/deploy/rbac/*.yaml ||
    fail_with_log "$kd/kube-apiserver.log" "installing deploy/crds and deploy/rbac failed"

  cat >"$rundir/kube.env" <<ENV
export KUBECONFIG=$kd/admin.kubeconfig
export SLUICE_TEST_KUBE_SERVER=https://127.0.0.1:$APISERVER_PORT
export SLUICE_TEST_KUBE_CA=$kd/pki/ca.crt
export SLUICE_TEST_KUBE_TOKEN=$(admin_token "$kd")
export SLUICE_TEST_ETCD_URL=http://127.0.0.1:$ETCD_CLIENT_PORT
ENV
  log "ready: source $rundir/kube.env"
}

cmd_down() {
  local rundir=${1:-}
  [[ -n "$rundir" ]] || die "usage: $0 down <rundir>"
  [[ -d "$rundir" ]] || return 0
  rundir=$(cd "$rundir" && pwd)
  local kd
  kd=$(KUBE_DIR "$rundir")
  stop_pid "$kd/kube-controller-manager.pid" "$rundir" kube-controller-manager
  stop_pid "$kd/kube-apiserver.pid" "$rundir" kube-apiserver
  stop_pid "$kd/etcd.pid" "$rundir" etcd
  rm -rf "$kd/etcd-data"
}

case "${1:-}" in
  build) cmd_build ;;
  up) cmd_up "${2:-}" ;;
  down) cmd_down "${2:-}" ;;
  *) die "usage: $0 build | up <rundir> | down <rundir>" ;;
esac
