#!/usr/bin/env node
// Prints the plain closing line ("tests: N passed, N failed, N skipped") from the spec
// reporter's summary in the run's log, so the summary is the last thing a CI log shows.
import { readFileSync } from 'node:fs';

let log = '';
try {
  log = readFileSync(process.argv[2], 'utf8');
} catch {
  // no log: the runner never started
}
const count = (name) => {
  const matches = [...log.matchAll(new RegExp(`^ℹ ${name} (\\d+)$`, 'gm'))];
  return matches.length ? Number(matches[matches.length - 1][1]) : 0;
};
if (!/^ℹ tests \d+$/m.test(log)) {
  console.log('tests: 0 passed, 1 failed (the test runner printed no summary)');
  process.exit(1);
}
const pass = count('pass');
const fail = count('fail') + count('cancelled');
const skipped = count('skipped') + count('todo');
console.log(`tests: ${pass} passed, ${fail} failed${skipped ? `, ${skipped} skipped` : ''}`);
