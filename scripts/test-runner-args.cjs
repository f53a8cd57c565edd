// The node arguments `npm test` runs its test files with (scripts/run-tests.mjs), shared with the spec
// that checks the runner reports every test that ran (scripts/test-runner.spec.ts).
/**
 * @param {{ concurrency: string, testTimeoutMs: string }} options
 * @returns {string[]}
 */
function testRunnerArgs({ concurrency, testTimeoutMs }) {
  return [
    '--require', `${__dirname}/test-stdout-blocking.cjs`,
    '--require', 'reflect-metadata',
    '--require', '@swc-node/register',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-force-exit',
    `--test-timeout=${testTimeoutMs}`,
  ];
}

module.exports = { testRunnerArgs };
