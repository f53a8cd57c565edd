#!/usr/bin/env bash
# The test command (`npm test`): every test file against real PostgreSQL, Kafka and
# kube-apiserver (see with-infra.sh), then the runner's summary as the last line.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
export SLUICE_TEST_RUN_DIR="${SLUICE_TEST_RUN_DIR:-$root/.sluice-test/run}"
rm -f "$SLUICE_TEST_RUN_DIR/test-output.log"
bash "$here/with-infra.sh" node "$root/scripts/run-tests.mjs" "$@"
status=$?
node "$root/scripts/test-summary.mjs" "$SLUICE_TEST_RUN_DIR/test-output.log" || true
exit $status
