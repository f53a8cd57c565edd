import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { DockerfileParser, type Dockerfile } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { PROCESSES, readRepoFile, repoPath, SERVICES } from './support';

/*
 * The image cannot be built here (no Docker engine). What can be checked is: the Dockerfile
 * lints clean, its stages do what docs/deployment.md says, the build context keeps what the
 * COPY instructions need, the compiled dist/ it runs is complete, and the entrypoint and
 * health check scripts behave.
 */

const DOCKERFILE = readRepoFile('Dockerfile');
const dockerfile: Dockerfile = DockerfileParser.parse(DOCKERFILE);

/** Instructions of one stage (`FROM ... AS <name>` up to the next FROM). */
function stage(name: string) {
  const froms = dockerfile.getFROMs();
  const index = froms.findIndex((f) => f.getBuildStage() === name);
  assert.ok(index >= 0, `stage ${name}`);
  const start = froms[index]!.getRange().start.line;
  const end = froms[index + 1]?.getRange().start.line ?? Number.MAX_SAFE_INTEGER;
  return dockerfile.getInstructions().filter((i) => i.getRange().start.line >= start && i.getRange().start.line < end);
}
const text = (instructions: ReturnType<typeof stage>, keyword: string) =>
  instructions.filter((i) => i.getKeyword() === keyword).map((i) => i.getArgumentsContent() ?? '');

describe('Dockerfile', () => {
  it('lints clean (dockerfile-utils, the validator of the VS Code Docker tooling)', () => {
    assert.deepEqual(validate(DOCKERFILE).map((d) => `${d.range.start.line + 1}: ${d.message}`), []);
  });

  it('the lint bites: a broken Dockerfile is reported', () => {
    assert.ok(validate('FROM node:20-bookworm-slim AS x\nHEALTHCHECK --interval=fast CMD true\nEXPOSE http\n').length >= 2);
  });

  it('builds in stages from node:20-bookworm-slim with npm ci, and ships only production dependencies', () => {
    const nodeImage = dockerfile.getInitialARGs().find((a) => a.getProperty()?.getName() === 'NODE_IMAGE');
    assert.equal(nodeImage?.getProperty()?.getValue(), 'node:20-bookworm-slim');
    assert.deepEqual(
      dockerfile.getFROMs().map((f) => [f.getImage(), f.getBuildStage()]),
      [
        ['${NODE_IMAGE}', 'deps'],
        ['deps', 'build'],
        ['${NODE_IMAGE}', 'prod-deps'],
        ['${GO_IMAGE}', 'render-tools'],
        ['${NODE_IMAGE}', 'runtime'],
      ],
    );
    assert.ok(text(stage('deps'), 'RUN').some((r) => /^npm ci\b/.test(r)));
    assert.ok(text(stage('build'), 'RUN').some((r) => r.includes('scripts/build-dist.mjs --out dist')));
    assert.ok(text(stage('prod-deps'), 'RUN').some((r) => /^npm ci --omit=dev\b/.test(r)));
    const runtimeLines = new Set(stage('runtime').map((i) => i.getRange().start.line));
    const copies = dockerfile
      .getCOPYs()
      .filter((c) => runtimeLines.has(c.getRange().start.line))
      .map((c) => `${c.getFromFlag()?.getValue() ?? ''}:${c.getArgumentsContent()}`);
    assert.ok(copies.includes('prod-deps:/app/node_modules node_modules'), copies.join('; '));
    assert.ok(copies.includes('build:/app/dist dist'), copies.join('; '));
    // The pinned renderers of Helm and Kustomize configs (infra/render-tools.sh pins the same versions for the tests).
    assert.ok(copies.includes('render-tools:/out/helm /out/kustomize /usr/local/bin/'), copies.join('; '));
    const pinned = (name: string) => dockerfile.getInitialARGs().find((a) => a.getProperty()?.getName() === name)?.getProperty()?.getValue();
    const tools = readRepoFile('infra', 'render-tools.sh');
    assert.match(tools, new RegExp(`HELM_VERSION=\\$\\{SLUICE_HELM_VERSION:-${pinned('HELM_VERSION')}\\}`));
    assert.match(tools, new RegExp(`KUSTOMIZE_VERSION=\\$\\{SLUICE_KUSTOMIZE_VERSION:-${pinned('KUSTOMIZE_VERSION')}\\}`));
    assert.ok(!copies.some((c) => /\b(apps|libs)\b/.test(c) && c.startsWith(':')), 'no TypeScript sources in the runtime image');
  });

  it('runs as a numeric non-root user with NODE_ENV=production, a HEALTHCHECK on /healthz and the entrypoint', () => {
    const runtime = stage('runtime');
    const users = text(runtime, 'USER');
    assert.equal(users.length, 1);
    const [uid, gid] = users[0]!.split(':').map(Number);
    assert.ok(Number.isInteger(uid) && uid! > 0 && Number.isInteger(gid) && gid! > 0, `USER ${users[0]} must be numeric and not root`);
    const env = text(runtime, 'ENV').join(' ');
    assert.match(env, /\bNODE_ENV=production\b/);
    assert.match(env, /\bSLUICE_HOST=0\.0\.0\.0\b/);
    // The V8 flags the e2e tests and benches give a compiled service (SERVICE_V8_FLAGS, another project's file), so they measure what the image runs.
    const nodeOptions = /\bNODE_OPTIONS="([^"]*)"/.exec(env)?.[1]?.split(' ') ?? [];
    const flags = [...(/SERVICE_V8_FLAGS = \[([^\]]*)\]/.exec(readRepoFile('e2e', 'support', 'process.ts'))?.[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]!);
    assert.ok(flags.length > 0, 'SERVICE_V8_FLAGS found in e2e/support/process.ts');
    for (const flag of flags) assert.ok(nodeOptions.includes(flag), `NODE_OPTIONS has ${flag}: ${nodeOptions.join(' ')}`);
    const healthchecks = dockerfile.getHEALTHCHECKs();
    assert.equal(healthchecks.length, 1);
    assert.match(healthchecks[0]!.getArgumentsContent()!, /CMD \["node", "\/app\/bin\/healthcheck.js"\]$/);
    assert.deepEqual(text(runtime, 'ENTRYPOINT'), ['["/app/bin/entrypoint.sh"]']);
  });

  it('.dockerignore keeps secrets, git and node_modules out, and everything the COPY instructions need in', () => {
    const patterns = readRepoFile('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const toRegExp = (p: string) =>
      new RegExp(
        '^' +
          p
            .replace(/^\//, '')
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*\*\//g, '\u0000')
            .replace(/\*/g, '[^/]*')
            .replace(/\u0000/g, '(.*/)?') +
          '(/.*)?$',
      );
    const ignored = (path: string) => patterns.some((p) => !p.startsWith('!') && toRegExp(p).test(path));
    for (const path of ['node_modules', 'libs/x/node_modules', '.git', '.env', '.sluice', 'dist', 'libs/kube/src/a.spec.ts']) {
      assert.ok(ignored(path), `${path} must be ignored`);
    }
    const sources = dockerfile
      .getCOPYs()
      .filter((c) => !c.getFromFlag())
      .flatMap((c) => c.getArguments().slice(0, -1).map((a) => a.getValue()));
    assert.ok(sources.length >= 6);
    for (const source of sources) {
      assert.ok(!ignored(source), `${source} is COPYed but excluded from the build context`);
      assert.ok(existsSync(repoPath(source)), `${source} is COPYed but does not exist`);
    }
  });
});

describe('deploy/docker/entrypoint.sh', () => {
  it('starts exactly the five services and the dashboard server', () => {
    const script = readRepoFile('deploy', 'docker', 'entrypoint.sh');
    const choices = /^\s*([a-z-]+(?:\s*\|\s*[a-z-]+)*)\)\s*;;/m.exec(script);
    assert.ok(choices);
    assert.deepEqual(choices[1]!.split('|').map((s) => s.trim()).sort(), [...PROCESSES].sort());
    assert.match(script, /exec node --require "\$\{app_dir\}\/node_modules\/reflect-metadata" "\$\{app_dir\}\/dist\/apps\/\$\{service\}\/src\/main\.js"/);
  });

  it('refuses an unknown service with a usage message (exit 64)', () => {
    const res = spawnSync('sh', [repoPath('deploy', 'docker', 'entrypoint.sh'), 'billing'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    assert.equal(res.status, 64);
    assert.match(res.stderr, /usage: .*webhook-ingest\|repo-sync\|autodeploy\|kube-applier\|commit-status\|dashboard-server.*got 'billing'/);
    const none = spawnSync('sh', [repoPath('deploy', 'docker', 'entrypoint.sh')], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    assert.equal(none.status, 64);
  });
});

describe('deploy/docker/healthcheck.js', () => {
  let server: Server;
  let port = 0;
  let status = 200;
  const seen: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(status).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const check = (env: Record<string, string>, args: string[] = []) =>
    new Promise<number | null>((resolveExit) => {
      const child = spawn(process.execPath, [repoPath('deploy', 'docker', 'healthcheck.js'), ...args], { env: { PATH: process.env.PATH, ...env }, stdio: 'ignore' });
      child.on('exit', (code) => resolveExit(code));
    });

  it('is healthy on a 2xx from /healthz on PORT (which wins over SLUICE_PORT), unhealthy otherwise', async () => {
    status = 200;
    assert.equal(await check({ PORT: String(port), SLUICE_PORT: '1' }), 0);
    assert.equal(seen.at(-1), '/healthz');
    assert.equal(await check({ SLUICE_PORT: String(port) }, ['/readyz']), 0);
    assert.equal(seen.at(-1), '/readyz');
    status = 503;
    assert.equal(await check({ PORT: String(port) }), 1);
    server.close();
    assert.equal(await check({ PORT: String(port) }), 1, 'nothing listening');
    assert.equal(await check({ PORT: String(port) }, ['/admin']), 2, 'only /healthz or /readyz');
  });
});

describe('scripts/build-dist.mjs (what the image runs)', () => {
  const out = mkdtempSync(join(tmpdir(), 'sluice-dist-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  function files(dir: string, acc: string[] = []): string[] {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) files(path, acc);
      else acc.push(path);
    }
    return acc;
  }

  it('compiles every service to CommonJS with the @sluice/* aliases resolved and no tests inside, and carries the built dashboard', () => {
    const res = spawnSync(process.execPath, [repoPath('scripts', 'build-dist.mjs'), '--out', out], { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    for (const s of SERVICES) assert.ok(existsSync(join(out, 'apps', s, 'src', 'main.js')), `${s}: main.js`);
    const all = files(out);
    // The web dashboard is copied beside the services, built for browsers (not CommonJS).
    const dashboard = join(out, 'apps', 'dashboard', 'dist');
    assert.ok(existsSync(join(dashboard, 'index.html')), 'the dashboard is in the distribution');
    const js = all.filter((f) => f.endsWith('.js') && !f.startsWith(dashboard));
    assert.ok(js.length > 50);
    assert.deepEqual(all.filter((f) => /\.(spec|int-spec|e2e-spec)\.js$/.test(f) || /\/(testing|test|fixtures)\/|test-support\.js$/.test(relative(out, f))), []);
    const missing: string[] = [];
    for (const file of js) {
      const code = readFileSync(file, 'utf8');
      assert.doesNotMatch(code, /require\("@sluice\//, `${relative(out, file)} still requires an alias`);
      assert.doesNotMatch(code, /^(import|export) /m, `${relative(out, file)}: CommonJS, no ES module syntax left`);
      // Every relative require must land on a compiled file: nothing the services load was left out.
      for (const [, spec] of code.matchAll(/require\("(\.{1,2}\/[^"]*)"\)/g)) {
        const target = resolve(dirname(file), spec!);
        if (![`${target}.js`, join(target, 'index.js'), target].some((p) => existsSync(p) && statSync(p).isFile())) {
          missing.push(`${relative(out, file)} → ${spec}`);
        }
      }
    }
    assert.deepEqual(missing, []);
    // Decorator metadata survived (NestJS injects by constructor parameter types).
    assert.match(readFileSync(join(out, 'libs', 'platform', 'src', 'health', 'health.controller.js'), 'utf8'), /_ts_metadata\("design:paramtypes"/);
  });
});
