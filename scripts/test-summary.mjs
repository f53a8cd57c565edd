#!/usr/bin/env node
// Prints the plain closing line ("N passed, N failed, N skipped") from the TAP file that
// node's test runner wrote, so the summary is the last thing a CI log shows.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let tap;
try { tap = readFileSync(file, 'utf8'); } catch { console.log('tests: 0 passed, 1 failed'); process.exit(1); }
const count = (name) => {
  const matches = [...tap.matchAll(new RegExp(`^# ${name} (\\d+)$`, 'gm'))];
  return matches.length ? Number(matches[matches.length - 1][1]) : 0;
};
const pass = count('pass');
const fail = count('fail') + count('cancelled');
const skipped = count('skipped') + count('todo');
console.log(`tests: ${pass} passed, ${fail} failed${skipped ? `, ${skipped} skipped` : ''}`);
