#!/usr/bin/env -S node --require @swc-node/register
// `sluice`: the CLI (package.json `bin`; `npm run sluice -- <command>` from a checkout).
import { text } from 'node:stream/consumers';
import { runCli } from './program';

runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (chunk) => process.stdout.write(chunk),
  stderr: (chunk) => process.stderr.write(chunk),
  interactive: Boolean(process.stderr.isTTY),
  readStdin: () => text(process.stdin),
}).then((code) => {
  process.exitCode = code;
});
