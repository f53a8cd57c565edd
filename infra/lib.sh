# Shared helpers for the test infrastructure scripts. Sourced, not run.
# Caches (binaries, jars) live outside the repo; run state lives in the run dir.
set -euo pipefail
SLUICE_CACHE="${SLUICE_CACHE:-$HOME/.cache/sluice}"
mkdir -p "$SLUICE_CACHE"

log() { printf '[infra %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[infra] FATAL: %s\n' "$*" >&2; exit 1; }

# wait_for <seconds> <description> <command...>: polls the command until it succeeds.
wait_for() {
  local timeout="$1" what="$2"; shift 2
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s) >= deadline )); then return 1; fi
    sleep 0.3
  done
  log "$what is ready"
}

# stop_pidfile <file>: SIGTERM, wait up to 10 s, then SIGKILL; never leaves the process behind.
stop_pidfile() {
  local file="$1"
  [[ -f "$file" ]] || return 0
  local pid; pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}
