#!/bin/sh
# Starts one Sluice service, or the dashboard server: the first argument, else $SLUICE_SERVICE (the SERVICE build arg).
# exec: node replaces the shell as the container's main process, so SIGTERM reaches the graceful
# shutdown of the service (consumers commit, the outbox relay stops, HTTP drains).
set -eu
service="${1:-${SLUICE_SERVICE:-}}"
case "$service" in
  webhook-ingest | repo-sync | autodeploy | kube-applier | commit-status | dashboard-server) ;;
  *)
    echo "usage: <image> webhook-ingest|repo-sync|autodeploy|kube-applier|commit-status|dashboard-server (or set SLUICE_SERVICE); got '${service}'" >&2
    exit 64
    ;;
esac
# The image keeps this script in /app/bin and the compiled services in /app/dist.
app_dir="$(cd "$(dirname "$0")/.." && pwd)"
exec node --require "${app_dir}/node_modules/reflect-metadata" "${app_dir}/dist/apps/${service}/src/main.js"
