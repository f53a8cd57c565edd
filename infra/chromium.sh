#!/usr/bin/env bash
# Debian's Chromium for the dashboard's browser test (e2e/dashboard.e2e-spec.ts drives it with
# playwright-core; Playwright's own browser downloads are not used).
#
#   infra/chromium.sh install   install Debian's chromium if /usr/bin/chromium is missing
#   infra/chromium.sh path      print the browser's path
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=infra/lib.sh
source "$ROOT/infra/lib.sh"

CHROMIUM_BIN=${SLUICE_CHROMIUM:-/usr/bin/chromium}

log() { printf '[chromium.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

cmd_install() {
  [[ -x "$CHROMIUM_BIN" ]] && return 0
  [[ $(id -u) == 0 ]] || die "Chromium is not installed at $CHROMIUM_BIN and we are not root: apt-get install chromium"
  local start=$SECONDS
  log "installing Chromium from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  # Several test runs may start at once on a cold machine: one installs, the others wait.
  exec 8>"$SLUICE_CACHE/.apt.lock"
  flock 8
  if [[ ! -x "$CHROMIUM_BIN" ]]; then
    apt-get -q update -o DPkg::Lock::Timeout=300 >&2
    apt-get -q install -y --no-install-recommends -o DPkg::Lock::Timeout=300 \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
      chromium fonts-liberation >&2
  fi
  flock -u 8
  [[ -x "$CHROMIUM_BIN" ]] || die "apt-get installed chromium but $CHROMIUM_BIN was not found"
  log "Chromium installed in $((SECONDS - start))s ($("$CHROMIUM_BIN" --version 2>/dev/null || true))"
}

case "${1:-}" in
  install) cmd_install ;;
  path) echo "$CHROMIUM_BIN" ;;
  *) die "usage: $0 install | path" ;;
esac
