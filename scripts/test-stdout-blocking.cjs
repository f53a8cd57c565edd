// Preloaded (`--require`) into the test runner and, through its execArgv, into every test file's child
// process. A child reports its results to the runner as frames on its stdout, a pipe, which Node writes
// asynchronously on Linux; `--test-force-exit` then calls process.exit() with frames still buffered, and
// the runner silently counts fewer tests than ran, still exiting 0 (nodejs/node#64833, open; it dropped
// the last five tests of decide.spec.ts from a CI run). Blocking writes, set before the first one, leave
// nothing buffered at exit.
const handle = process.stdout._handle;
if (handle && typeof handle.setBlocking === 'function') handle.setBlocking(true);
