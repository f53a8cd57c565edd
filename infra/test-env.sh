#!/usr/bin/env bash
# For developers: starts the test infrastructure once in a shared run dir (default
# /tmp/dev-infra) unless it is already up, and prints the line to source. It uses its
# own ports, so a full `npm test` (default ports) can run beside it.
#   bash infra/test-env.sh && source /tmp/dev-infra/env
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${SLUICE_DEV_INFRA_DIR:-/tmp/dev-infra}"
mkdir -p "$dir"
exec 9>"$dir/.lock"; flock 9
export SLUICE_PG_PORT=55532 SLUICE_KAFKA_PORT=59192 SLUICE_KAFKA_CONTROLLER_PORT=59193 \
  SLUICE_ETCD_PORT=52479 SLUICE_ETCD_PEER_PORT=52480 SLUICE_APISERVER_PORT=56543 \
  SLUICE_REGISTRY_PORT=55001
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
declare -A ports=([postgres]=$SLUICE_PG_PORT [kafka]=$SLUICE_KAFKA_PORT [kube]=$SLUICE_APISERVER_PORT [registry]=$SLUICE_REGISTRY_PORT)
for p in postgres kafka kube registry; do
  if port_open "${ports[$p]}" && [[ -f "$dir/$p.env" ]]; then continue; fi
  # 9>&-: the servers started must not inherit the lock, or every later call waits for them to exit.
  bash "$here/$p.sh" up "$dir" > "$dir/$p.up.log" 2>&1 9>&- || { echo "$p failed:"; tail -20 "$dir/$p.up.log"; exit 1; }
done
cat "$dir"/postgres.env "$dir"/kafka.env "$dir"/kube.env "$dir"/registry.env > "$dir/env"
echo "source $dir/env"
