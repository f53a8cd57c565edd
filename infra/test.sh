#!/usr/bin/env bash
# The test command (`npm test`): every test file against real PostgreSQL, Kafka and
# kube-apiserver (see with-infra.sh), then the runner's summary as the last line.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
export SLUICE_TEST_RUN_DIR="${SLUICE_TEST_RUN_DIR:-$root/.sluice-test/run}"
mkdir -p "$SLUICE_TEST_RUN_DIR"
log="$SLUICE_TEST_RUN_DIR/test-output.log"
rm -f "$log"
# tee keeps the output on the terminal and in a log, from which the summary line is taken.
bash "$here/with-infra.sh" node "$root/scripts/run-tests.mjs" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# A run without the runner's summary fails, whatever the runner's exit status said.
node "$root/scripts/test-summary.mjs" "$log" || { [[ $status == 0 ]] && status=1; }
exit "$status"
