#!/usr/bin/env bash
# Real PostgreSQL for the integration tests: a throwaway cluster on loopback.
#
#   infra/postgres.sh install        install Debian's postgresql if initdb/pg_ctl are missing
#   infra/postgres.sh up <rundir>    initdb a fresh cluster in <rundir>/postgres/data, start it
#                                    on 127.0.0.1:55432, write <rundir>/postgres.env (idempotent:
#                                    a server left over from a previous run is stopped first)
#   infra/postgres.sh down <rundir>  stop it (pg_ctl stop -m fast, then SIGKILL)
#
# Tuned for tests, not for data: fsync, synchronous_commit and full_page_writes are off, so a
# crash of the machine loses the cluster, which is rebuilt on every `up` anyway.
# The cluster's superuser is `sluice`, trusted on loopback and on the unix socket only.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=infra/lib.sh
source "$ROOT/infra/lib.sh"

PG_PORT=${SLUICE_PG_PORT:-55432}
PG_HOST=127.0.0.1
PG_USER=sluice

log() { printf '[postgres.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# The newest server installed by Debian's packages (several majors can live side by side).
pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]] && echo "$d"
}

cmd_install() {
  pg_bindir >/dev/null && return 0
  [[ $(id -u) == 0 ]] || die "PostgreSQL is not installed and we are not root: apt-get install postgresql"
  local start=$SECONDS
  log "installing PostgreSQL from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  # Several test runs may start at once on a cold machine: one installs, the others wait.
  exec 8>"$SLUICE_CACHE/.apt.lock"
  flock 8
  if ! pg_bindir >/dev/null; then
    apt-get -q update -o DPkg::Lock::Timeout=300 >&2
    # The package creates and may start a system cluster on 5432; we never use it.
    apt-get -q install -y --no-install-recommends -o DPkg::Lock::Timeout=300 \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
      postgresql postgresql-contrib >&2
    if command -v pg_ctlcluster >/dev/null; then
      for c in /etc/postgresql/*/main; do
        [[ -d "$c" ]] || continue
        local v; v=$(basename "$(dirname "$c")")
        pg_ctlcluster "$v" main stop >/dev/null 2>&1 || true
      done
    fi
  fi
  flock -u 8
  pg_bindir >/dev/null || die "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb was found"
  log "PostgreSQL installed in $((SECONDS - start))s"
}

# Commands run as the OS user that owns the cluster: postgres refuses to run as root.
OWNER=$(id -un)
if [[ $(id -u) == 0 ]]; then OWNER=postgres; fi
as_owner() {
  if [[ $(id -u) == 0 ]]; then runuser -u "$OWNER" -- "$@"; else "$@"; fi
}

# The cluster lives in <rundir>/postgres, unless the owner cannot reach the run dir (a checkout
# under a private home directory): then it lives in /tmp and <rundir>/postgres links to it.
cluster_dir() { echo "$1/postgres"; }

stop_cluster() {
  local bindir="$1" dir="$2" data="$2/data"
  [[ -f "$data/postmaster.pid" ]] || return 0
  local pid; pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    log "stopping PostgreSQL (pid $pid)"
    as_owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 20 stop >/dev/null 2>&1 || true
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  rm -f "$data/postmaster.pid"
}

port_in_use() { (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null; }
# The pid listening on a TCP port of this machine, if ss can tell.
listener_pid() { ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2 || true; }

cmd_up() {
  local rundir="${1:?usage: $0 up <rundir>}"
  mkdir -p "$rundir"; rundir=$(cd "$rundir" && pwd)
  cmd_install
  local bindir; bindir=$(pg_bindir)
  local dir; dir=$(cluster_dir "$rundir")
  local data="$dir/data"
  rm -f "$rundir/postgres.env"

  # A server from a previous run (same run dir) is stopped; anything else on the port is an error.
  if [[ -e "$dir" ]]; then
    stop_cluster "$bindir" "$dir"
    local target; target=$(readlink "$dir" || true)
    rm -rf "$dir"
    [[ -n "$target" ]] && rm -rf "$target"
  fi
  # A server of this run dir whose files were deleted (rm -rf of the run dir) still holds the port.
  local orphan; orphan=$(listener_pid "$PG_PORT")
  if [[ -n "$orphan" ]] && tr '\0' ' ' <"/proc/$orphan/cmdline" 2>/dev/null | grep -qF -- "-D $data "; then
    log "stopping an orphaned PostgreSQL of this run dir (pid $orphan)"
    kill -TERM "$orphan" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$orphan" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$orphan" 2>/dev/null || true
    for _ in $(seq 1 50); do port_in_use || break; sleep 0.1; done
  fi
  if port_in_use; then
    die "port $PG_HOST:$PG_PORT is already in use by another process (not this run dir's server): $(ss -ltnpH "sport = :$PG_PORT" 2>/dev/null | tr -s ' ')"
  fi

  mkdir -p "$dir"
  if [[ $(id -u) == 0 ]] && ! runuser -u "$OWNER" -- test -x "$rundir"; then
    local private; private=$(mktemp -d /tmp/sluice-postgres.XXXXXX)
    rmdir "$dir"; ln -s "$private" "$dir"
    dir="$private"; data="$dir/data"
  fi
  if [[ $(id -u) == 0 ]]; then chown "$OWNER:" "$dir"; fi
  chmod 700 "$dir"

  log "initdb $data ($("$bindir/postgres" --version))"
  as_owner "$bindir/initdb" -D "$data" -U "$PG_USER" --auth=trust -E UTF8 --locale=C.UTF-8 \
    --no-sync --no-instructions >"$dir/initdb.log" 2>&1 \
    || { tail -n 20 "$dir/initdb.log" >&2; die "initdb failed"; }

  # The unix socket goes into the data dir unless the path is too long for a socket (107 bytes).
  local sockdir="$data"
  if (( ${#data} + 20 > 100 )); then sockdir=""; fi
  as_owner tee -a "$data/postgresql.conf" >/dev/null <<CONF

# --- sluice test settings (infra/postgres.sh) ---
listen_addresses = '$PG_HOST'
port = $PG_PORT
unix_socket_directories = '$sockdir'
max_connections = 400
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
# Fewer checkpoints during a run; the data is thrown away afterwards.
max_wal_size = 2GB
checkpoint_timeout = 30min
log_min_messages = warning
log_connections = off
log_line_prefix = '%m [%p] %q%u@%d '
CONF
  as_owner tee "$data/pg_hba.conf" >/dev/null <<HBA
# Test cluster: trust on the unix socket and on loopback only.
local   all          all                     trust
host    all          all        127.0.0.1/32 trust
local   replication  all                     trust
host    replication  all        127.0.0.1/32 trust
HBA

  log "starting PostgreSQL on $PG_HOST:$PG_PORT"
  # The port lies in the ephemeral range: another process's outgoing connection can hold it, and
  # after it closes its TIME_WAIT does for up to 60 s; the postmaster then exits at once ("could
  # not create any TCP/IP sockets"). Start again for up to 90 s.
  local attempt
  for attempt in $(seq 1 30); do
    as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -W start >/dev/null
    sleep 1
    if (( attempt < 30 )) && grep -q "could not create any TCP/IP sockets" "$dir/server.log" 2>/dev/null \
       && ! as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      log "port $PG_PORT held by another socket (attempt $attempt of 30); starting again in 2s"
      as_owner mv "$dir/server.log" "$dir/server.log.$attempt"
      sleep 2
      continue
    fi
    break
  done
  if ! wait_for 60 "PostgreSQL" "$bindir/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres \
     || ! "$bindir/psql" -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -XqAt -c 'select 1' >/dev/null; then
    tail -n 40 "$dir/server.log" >&2 || true
    die "PostgreSQL did not become ready within 60s (log: $dir/server.log)"
  fi

  local url="postgres://$PG_USER@$PG_HOST:$PG_PORT/postgres"
  echo "export SLUICE_TEST_DATABASE_URL=$url" >"$rundir/postgres.env"
  local version
  version=$("$bindir/psql" -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -XqAt -c 'show server_version' | cut -d' ' -f1)
  echo "postgres $version on $PG_HOST:$PG_PORT (max_connections 400, data $data)"
}

cmd_down() {
  local rundir="${1:?usage: $0 down <rundir>}"
  [[ -d "$rundir" ]] || return 0
  local bindir; bindir=$(pg_bindir) || return 0
  local dir; dir=$(cluster_dir "$(cd "$rundir" && pwd)")
  [[ -e "$dir" ]] || return 0
  stop_cluster "$bindir" "$dir"
  rm -f "$rundir/postgres.env"
}

case "${1:-}" in
  install) cmd_install ;;
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  *) die "usage: $0 install | up <rundir> | down <rundir>" ;;
esac
