#!/usr/bin/env bash
# Real OCI image registry for the integration tests: the CNCF distribution registry (Debian's
# docker-registry 2.8) on loopback, with token auth served by infra/registry-token-server.ts.
#
#   infra/registry.sh install        extract docker-registry from Debian's package into
#                                    $SLUICE_CACHE/docker-registry (apt-get download + dpkg-deb -x:
#                                    no root, no dpkg lock; seconds)
#   infra/registry.sh up <rundir>    start the token server and the registry on
#                                    127.0.0.1:$SLUICE_REGISTRY_PORT (default 55000) with an empty
#                                    store, write <rundir>/registry.env (idempotent: what a previous
#                                    `up` of this run dir left running is stopped first)
#   infra/registry.sh down <rundir>  stop both (SIGTERM, then SIGKILL)
#
# Auth is the Docker token flow, as on Docker Hub or ghcr.io: the registry answers 401 with
# `WWW-Authenticate: Bearer realm=…,service=…,scope=…`; the token server issues RS256 JWTs
# signed with a key generated at `up`, whose self-signed certificate is the registry's
# rootcertbundle. One user, written to registry.env with a password new at every `up`.
# Anonymous callers get a token granting nothing, so the registry refuses them.
#
# registry.env: SLUICE_REGISTRY_URL (http://127.0.0.1:<port>), SLUICE_REGISTRY_USER,
# SLUICE_REGISTRY_PASSWORD.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=infra/lib.sh
source "$ROOT/infra/lib.sh"

REGISTRY_PORT=${SLUICE_REGISTRY_PORT:-55000}
# 0: any free port (only the registry, configured after it listens, needs to know it).
TOKEN_PORT=${SLUICE_REGISTRY_TOKEN_PORT:-0}
HOST=127.0.0.1
REGISTRY_USER=sluice
SERVICE=sluice-test-registry
ISSUER=sluice-test-token-server

REGISTRY_HOME="$SLUICE_CACHE/docker-registry"
REGISTRY_BIN="$REGISTRY_HOME/usr/bin/docker-registry"

log() { printf '[registry.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

cmd_install() {
  [[ -x "$REGISTRY_BIN" ]] && return 0
  # Several test runs may start at once on a cold machine: one extracts, the others wait.
  exec 8>"$SLUICE_CACHE/.docker-registry.lock"
  flock 8
  if [[ ! -x "$REGISTRY_BIN" ]]; then
    local start=$SECONDS tmp
    command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "apt-get and dpkg-deb are needed to fetch Debian's docker-registry"
    if ! apt-cache show docker-registry >/dev/null 2>&1; then
      [[ $(id -u) == 0 ]] || die "apt knows no package docker-registry and we are not root to run apt-get update"
      log "apt-get update (no package lists yet)"
      apt-get -q update -o DPkg::Lock::Timeout=300 >&2
    fi
    tmp=$(mktemp -d "$SLUICE_CACHE/.docker-registry.XXXXXX")
    log "downloading Debian's docker-registry into $REGISTRY_HOME"
    # apt-get download only fetches the .deb (no dpkg database, no lock); as root it warns that
    # its sandbox user cannot write the directory and downloads as root instead: harmless.
    (cd "$tmp" && apt-get download -q docker-registry >&2) || { rm -rf "$tmp"; die "apt-get download docker-registry failed"; }
    dpkg-deb -x "$tmp"/docker-registry_*.deb "$tmp/root"
    [[ -x "$tmp/root/usr/bin/docker-registry" ]] || { rm -rf "$tmp"; die "the docker-registry package has no usr/bin/docker-registry"; }
    rm -rf "$REGISTRY_HOME"
    mv "$tmp/root" "$REGISTRY_HOME"
    rm -rf "$tmp"
    log "docker-registry installed in $((SECONDS - start))s ($("$REGISTRY_BIN" --version))"
  fi
  flock -u 8
}

registry_dir() { echo "$1/registry"; }

# Running and not a zombie.
running() {
  kill -0 "$1" 2>/dev/null || return 1
  [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

# Is the pid in <pidfile> alive and one of ours (its command line names <dir>)?
pid_alive() {
  local pidfile=$1 dir=$2 pid
  [[ -f "$pidfile" ]] || return 1
  pid=$(<"$pidfile")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  running "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir"
}

stop_pid() {
  local pidfile=$1 dir=$2 name=$3 pid
  if pid_alive "$pidfile" "$dir"; then
    pid=$(<"$pidfile")
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    if running "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      while running "$pid"; do sleep 0.1; done
    fi
  fi
  rm -f "$pidfile"
}

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
listener_pid() { ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2 || true; }

# `GET /v2/` answers 401 with a Bearer challenge once the registry serves with token auth.
registry_ready() {
  [[ "$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://$HOST:$REGISTRY_PORT/v2/")" == 401 ]]
}

fail_with_log() {
  local logfile=$1
  shift
  [[ -f "$logfile" ]] && { echo "---- last 30 lines of $logfile ----" >&2; tail -n 30 "$logfile" >&2; }
  die "$*"
}

cmd_up() {
  local rundir="${1:?usage: $0 up <rundir>}"
  mkdir -p "$rundir"; rundir=$(cd "$rundir" && pwd)
  cmd_install
  command -v openssl >/dev/null || die "openssl is required"
  command -v curl >/dev/null || die "curl is required"
  command -v node >/dev/null || die "node is required for the token server"
  local dir; dir=$(registry_dir "$rundir")
  rm -f "$rundir/registry.env"
  mkdir -p "$dir"

  stop_pid "$dir/registry.pid" "$dir" docker-registry
  stop_pid "$dir/token-server.pid" "$dir" "token server"
  # A registry of this run dir whose pid file was deleted still holds the port.
  local orphan; orphan=$(listener_pid "$REGISTRY_PORT")
  if [[ -n "$orphan" ]] && tr '\0' ' ' <"/proc/$orphan/cmdline" 2>/dev/null | grep -qF -- "$dir/config.yml"; then
    log "stopping an orphaned registry of this run dir (pid $orphan)"
    kill -KILL "$orphan" 2>/dev/null || true
    for _ in $(seq 1 50); do port_in_use "$REGISTRY_PORT" || break; sleep 0.1; done
  fi
  if port_in_use "$REGISTRY_PORT"; then
    die "port $HOST:$REGISTRY_PORT is already in use by another process (not this run dir's registry): $(ss -ltnpH "sport = :$REGISTRY_PORT" 2>/dev/null | tr -s ' ')"
  fi

  # A fresh store, key and password every `up`: tests must not depend on leftovers.
  rm -rf "$dir/data" "$dir/token-server.port"
  mkdir -p "$dir/data"
  chmod 700 "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$ISSUER" \
    -keyout "$dir/token.key" -out "$dir/token.crt" 2>/dev/null
  local password; password=$(openssl rand -hex 16)
  (umask 077 && printf '%s:%s\n' "$REGISTRY_USER" "$password" >"$dir/users")

  log "starting the token server"
  # From the repository root, so that --require finds the project's @swc-node/register.
  (cd "$ROOT" && SWC_NODE_PROJECT="$ROOT/tsconfig.base.json" exec setsid node --require @swc-node/register \
    "$ROOT/infra/registry-token-server.ts" --key "$dir/token.key" --users "$dir/users" \
    --issuer "$ISSUER" --service "$SERVICE" --port "$TOKEN_PORT" --port-file "$dir/token-server.port" \
    >"$dir/token-server.log" 2>&1 </dev/null) &
  echo $! >"$dir/token-server.pid"
  wait_for 30 "token server" test -s "$dir/token-server.port" ||
    fail_with_log "$dir/token-server.log" "the token server did not start within 30s"
  local token_port; token_port=$(<"$dir/token-server.port")
  local realm="http://$HOST:$token_port/token"

  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $HOST:$REGISTRY_PORT
  secret: $(openssl rand -hex 16)
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  token:
    realm: $realm
    service: $SERVICE
    issuer: $ISSUER
    rootcertbundle: $dir/token.crt
YAML

  log "starting docker-registry on $HOST:$REGISTRY_PORT"
  setsid "$REGISTRY_BIN" serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
  echo $! >"$dir/registry.pid"
  if ! wait_for 30 "docker-registry" registry_ready; then
    pid_alive "$dir/registry.pid" "$dir" || fail_with_log "$dir/registry.log" "docker-registry exited"
    fail_with_log "$dir/registry.log" "docker-registry did not answer GET /v2/ with 401 within 30s"
  fi

  cat >"$rundir/registry.env" <<ENV
export SLUICE_REGISTRY_URL=http://$HOST:$REGISTRY_PORT
export SLUICE_REGISTRY_USER=$REGISTRY_USER
export SLUICE_REGISTRY_PASSWORD=$password
ENV
  echo "docker-registry $("$REGISTRY_BIN" --version | awk '{print $NF}') on $HOST:$REGISTRY_PORT (token auth, realm $realm)"
}

cmd_down() {
  local rundir="${1:?usage: $0 down <rundir>}"
  [[ -d "$rundir" ]] || return 0
  local dir; dir=$(registry_dir "$(cd "$rundir" && pwd)")
  [[ -d "$dir" ]] || return 0
  stop_pid "$dir/registry.pid" "$dir" docker-registry
  stop_pid "$dir/token-server.pid" "$dir" "token server"
  rm -f "$rundir/registry.env"
}

case "${1:-}" in
  install) cmd_install ;;
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  *) die "usage: $0 install | up <rundir> | down <rundir>" ;;
esac
