#!/usr/bin/env bash
# Runs a command with PostgreSQL, Kafka, kube-apiserver + etcd and an OCI image registry
# (with its token server) started on loopback
# (in parallel; the first run on a machine builds/downloads them), their variables
# exported, and everything stopped afterwards. Any piece that fails to start fails the
# run with its reason. Used by `npm test` and `npm run bench`.
#   infra/with-infra.sh <command> [args...]
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
export SLUICE_TEST_RUN_DIR="${SLUICE_TEST_RUN_DIR:-$root/.sluice-test/run}"
mkdir -p "$SLUICE_TEST_RUN_DIR"

pieces=(postgres kafka kube registry)
down() {
  for p in "${pieces[@]}"; do bash "$here/$p.sh" down "$SLUICE_TEST_RUN_DIR" || true; done
}
trap down EXIT

# The dashboard's browser test drives Debian's Chromium: installed here on a cold machine.
bash "$here/chromium.sh" install || exit 1
# helm and kustomize, pinned, for the Helm and Kustomize configs' tests: built once into ~/.cache/sluice/bin.
bash "$here/render-tools.sh" build || exit 1

declare -A pids=()
for p in "${pieces[@]}"; do
  bash "$here/$p.sh" up "$SLUICE_TEST_RUN_DIR" > "$SLUICE_TEST_RUN_DIR/$p.up.log" 2>&1 &
  pids[$p]=$!
done
failed=0
for p in "${pieces[@]}"; do
  if ! wait "${pids[$p]}"; then
    echo "[infra] $p failed to start:" >&2
    tail -n 40 "$SLUICE_TEST_RUN_DIR/$p.up.log" >&2
    failed=1
  else
    echo "[infra] $p up ($(tail -n 1 "$SLUICE_TEST_RUN_DIR/$p.up.log"))"
  fi
done
[[ $failed == 0 ]] || exit 1

for p in "${pieces[@]}"; do
  # shellcheck disable=SC1090
  source "$SLUICE_TEST_RUN_DIR/$p.env"
done

"$@"
