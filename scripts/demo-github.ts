// A local stand-in for GitHub for the README walkthrough: the fake GitHub of the tests,
// seeded with a config repository (examples/deploy-configs) and an artifact repository.
//   node --require @swc-node/register scripts/demo-github.ts   (see README: Five-minute walkthrough)
// Its port: DEMO_GITHUB_PORT (default 3333).
import { join } from 'node:path';
import { FakeGitHub } from '@sluice/fake-scm';
import { filesUnder, runScript } from './script-support';

async function main(): Promise<void> {
  const github = new FakeGitHub({ port: Number(process.env.DEMO_GITHUB_PORT ?? 3333) });
  const { url } = await github.start();
  github.seed.repo({ owner: 'acme', name: 'deploy-configs' });
  const configSha = github.seed.commit('acme/deploy-configs', { message: 'billing-api config', files: filesUnder(join(__dirname, '../examples/deploy-configs')) });
  github.seed.repo({ owner: 'acme', name: 'billing' });
  const first = github.seed.commit('acme/billing', { message: 'first release', files: { 'README.md': 'billing v1\n' } });
  const second = github.seed.commit('acme/billing', { message: 'second release', files: { 'README.md': 'billing v2\n' } });
  // Comments and `export` lines only: the output can be sourced as it is (README walkthrough).
  process.stdout.write(
    `# fake GitHub on ${url}\n` +
      `#   acme/deploy-configs main = ${configSha}\n` +
      `#   acme/billing main = ${second} (previous ${first})\n` +
      `export GITHUB_API_URL=${url} GITHUB_TOKEN=demo\n` +
      `export CONFIG_SHA=${configSha} S1=${first} S2=${second}\n`,
  );
}

runScript(main, { stack: true });
