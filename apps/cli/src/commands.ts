import type { Command } from 'commander';
import { REPLAY_VIEWS, replayPath, type ReplayView } from '@sluice/contracts';
import { ok, type SluiceClient } from './client';
import { ApiError, CommandFailed, UsageError } from './errors';
import { short, type Output } from './output';
import { followDeployLog } from './deploy-log';
import { commitOf, defaultHeadOf } from './resolve';

/** What every command gets: the typed client, the output, and how to pause between polls. */
export interface Context {
  readonly client: SluiceClient;
  readonly out: Output;
  /** Progress for people (stderr); silent with --json. */
  progress(text: string, final?: boolean): void;
  sleep(ms: number): Promise<void>;
}

const TERMINAL = new Set(['succeeded', 'failed', 'superseded']);

/** Polls a deploy until it ends; a failed deploy fails the command with the deploy's reason. */
async function follow(ctx: Context, deployId: string, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let seen = '';
  for (;;) {
    const deploy = await ok(ctx.client.GET('/api/deploys/{id}', { params: { path: { id: deployId } } }));
    if (deploy.phase !== seen) {
      seen = deploy.phase;
      ctx.progress(`${deployId}: ${deploy.phase}${deploy.failure ? ` — ${deploy.failure.reason}: ${deploy.failure.message}` : ''}`, true);
    }
    if (TERMINAL.has(deploy.phase)) {
      if (deploy.phase === 'failed') throw new CommandFailed(`deploy ${deployId} failed${deploy.failure ? `: ${deploy.failure.message}` : ''}`);
      if (deploy.phase === 'superseded') throw new CommandFailed(`deploy ${deployId} was superseded by ${deploy.supersededBy ?? 'a newer deploy'}`);
      return;
    }
    if (Date.now() > deadline) throw new CommandFailed(`deploy ${deployId} is still ${deploy.phase} after ${timeoutSeconds} s`);
    await ctx.sleep(1000);
  }
}

function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: expected a positive whole number, got "${value}"`);
    return n;
  };
}

interface WaitFlags {
  readonly wait?: boolean;
  readonly timeout: number;
}
const withWait = (command: Command): Command =>
  command.option('-w, --wait', 'wait until the deploy has succeeded, failed or been superseded').option('--timeout <seconds>', 'how long --wait waits', positiveInt('--timeout'), 600);

async function requested(ctx: Context, what: string, answer: { deployId: string; created: boolean }, flags: WaitFlags): Promise<void> {
  ctx.out.result(answer, () => `${what}: deploy ${answer.deployId}${answer.created ? '' : ' (already requested)'}`);
  if (flags.wait) await follow(ctx, answer.deployId, flags.timeout);
}

/** The commands on the API; `login` lives in program.ts (it writes settings, not the API). */
export function registerCommands(program: Command, context: () => Context): void {
  program
    .command('configs')
    .description('list the configs you may see')
    .option('--team <team>', 'only this team’s configs')
    .action(async (flags: { team?: string }, command: Command) => {
      const ctx = context();
      // Commander gives `--team` to the program's option of that name (the team to act for) wherever it stands,
      // so `sluice configs --team web` arrives there: here it also means "only web's configs".
      const team = flags.team ?? command.parent?.opts<{ team?: string }>().team;
      const { configs } = await ok(ctx.client.GET('/api/configs', { params: { query: team ? { team } : {} } }));
      ctx.out.table(
        configs,
        [
          ['NAME', (c) => c.name],
          ['TEAM', (c) => c.team],
          ['NAMESPACE', (c) => c.namespace],
          ['PHASE', (c) => c.phase ?? 'undeployed'],
          ['ARTIFACT', (c) => short(c.current.artifactSha)],
          ['CONFIG', (c) => short(c.current.configSha)],
          ['AUTODEPLOY', (c) => c.autodeploy],
          ['PINNED', (c) => (c.pin ? `by ${c.pin.by}` : false)],
        ],
        { configs },
      );
    });

  program
    .command('config <name>')
    .description('one config: its state and its latest deploys')
    .action(async (name: string) => {
      const ctx = context();
      const config = await ok(ctx.client.GET('/api/configs/{name}', { params: { path: { name } } }));
      const { deploys } = await ok(ctx.client.GET('/api/configs/{name}/deploys', { params: { path: { name }, query: { limit: 5 } } }));
      if (ctx.out.json) return ctx.out.result({ config, deploys }, () => '');
      const lines = [
        `name:        ${config.name}`,
        `team:        ${config.team}`,
        `namespace:   ${config.namespace}`,
        `source:      ${config.configRepo}/${config.path}`,
        `artifact:    ${config.artifact ? `${config.artifact.repo} → ${config.artifact.image}` : '(none: artifactless)'}`,
        `tracks:      ${config.track.branch}${config.autodeploy ? ' (autodeploy)' : ''}`,
        `state:       artifact ${short(config.current.artifactSha) ?? '-'}, config ${short(config.current.configSha) ?? '-'} — ${config.phase ?? 'undeployed'}`,
        `pinned:      ${config.pin ? `by ${config.pin.by} at ${config.pin.at}${config.pin.reason ? ` (${config.pin.reason})` : ''}` : 'no'}`,
        '',
      ];
      ctx.out.write(`${lines.join('\n')}\n`);
      ctx.out.table(deploys, [
        ['DEPLOY', (d) => d.id],
        ['PHASE', (d) => d.phase],
        ['CAUSE', (d) => d.cause],
        ['IMAGE TAG', (d) => d.imageTag],
        ['CONFIG', (d) => short(d.configSha)],
        ['BY', (d) => d.requestedBy],
      ]);
    });

  withWait(
    program
      .command('deploy <config>')
      .description('deploy a config at an artifact commit and a config commit (a manual deploy pins the config)')
      .option('--artifact <sha|branch>', 'the artifact commit, or a branch whose head to take (default: the tracked branch)')
      .option('--config <sha|branch>', 'the config repository commit (default: the one deployed now, else the default branch head)')
      .option('--reason <text>', 'why, recorded in the history', ''),
  ).action(async (name: string, flags: WaitFlags & { artifact?: string; config?: string; reason: string }) => {
    const ctx = context();
    const config = await ok(ctx.client.GET('/api/configs/{name}', { params: { path: { name } } }));
    if (!config.artifact && flags.artifact) throw new UsageError(`${name} is artifactless: give --config only`);
    const artifactSha = config.artifact ? await commitOf(ctx.client, config.artifact.repo, flags.artifact ?? config.track.branch, '--artifact') : null;
    const configSha = flags.config
      ? await commitOf(ctx.client, config.configRepo, flags.config, '--config')
      : (config.current.configSha ?? (await defaultHeadOf(ctx.client, config.configRepo, '--config')));
    const answer = await ok(ctx.client.POST('/api/deploys', { body: { config: name, artifactSha, configSha, reason: flags.reason } }));
    await requested(ctx, `${name} at artifact ${short(artifactSha) ?? '-'}, config ${short(configSha)}`, answer, flags);
  });

  program
    .command('history <config>')
    .description('every decision and outcome of a config, newest first')
    .option('--limit <n>', 'how many entries', positiveInt('--limit'), 20)
    .action(async (name: string, flags: { limit: number }) => {
      const ctx = context();
      const page = await ok(ctx.client.GET('/api/configs/{name}/history', { params: { path: { name }, query: { limit: flags.limit } } }));
      ctx.out.table(
        page.history,
        [
          ['WHEN', (h) => h.occurredAt],
          ['EVENT', (h) => h.type],
          ['DEPLOY', (h) => h.deployId],
          ['BY', (h) => h.actor],
          // Both when both are there: a skipped deploy's reason is its trigger, its message why it was skipped.
          ['WHY', (h) => [h.reason, h.message].filter(Boolean).join(' — ')],
        ],
        page,
      );
    });

  program
    .command('logs <deploy>')
    .description("a deploy's steps and log lines; -f follows it until it ends (a failed deploy fails the command)")
    .option('-f, --follow', 'follow the deploy until it ends')
    .action(async (id: string, flags: { follow?: boolean }) => {
      const ctx = context();
      const path = { id };
      if (!flags.follow) {
        ctx.out.write(await ok(ctx.client.GET('/api/deploys/{id}/logs', { params: { path, query: { follow: 'false' } }, parseAs: 'text' })));
        return;
      }
      const open = async (lastEventId: string | null) => {
        const headers = lastEventId === null ? undefined : { 'Last-Event-ID': lastEventId };
        const body = await ok(ctx.client.GET('/api/deploys/{id}/logs', { params: { path }, parseAs: 'stream', headers }));
        if (!body) throw new CommandFailed(`deploy ${id}: the log stream had no body`);
        return body;
      };
      await followDeployLog(id, open, (text) => ctx.out.write(text));
    });

  program
    .command('builds <config>')
    .description('the builds Sluice ran for a config (deploy.yaml build:), newest first')
    .option('--limit <n>', 'how many builds', positiveInt('--limit'), 20)
    .action(async (name: string, flags: { limit: number }) => {
      const ctx = context();
      const page = await ok(ctx.client.GET('/api/configs/{name}/builds', { params: { path: { name }, query: { limit: flags.limit } } }));
      ctx.out.table(
        page.builds,
        [
          ['REQUESTED', (b) => b.timestamps.requestedAt],
          ['TARGET', (b) => b.target],
          ['IMAGE TAG', (b) => b.imageTag],
          ['PHASE', (b) => b.phase],
          ['BUILDRUN', (b) => b.buildRun],
          ['MESSAGE', (b) => b.message],
        ],
        page,
      );
    });

  withWait(program.command('reapply <deploy>').description('deploy the same pair as an earlier deploy again (pins)').option('--reason <text>', 'why', '')).action(
    async (id: string, flags: WaitFlags & { reason: string }) => {
      const ctx = context();
      const answer = await ok(ctx.client.POST('/api/deploys/{id}/reapply', { params: { path: { id } }, body: { reason: flags.reason } }));
      await requested(ctx, `re-apply of ${id}`, answer, flags);
    },
  );

  withWait(program.command('undeploy <config>').description('remove what a config deployed').option('--reason <text>', 'why', '')).action(
    async (name: string, flags: WaitFlags & { reason: string }) => {
      const ctx = context();
      const answer = await ok(ctx.client.POST('/api/configs/{name}/undeploy', { params: { path: { name } }, body: { reason: flags.reason } }));
      await requested(ctx, `undeploy of ${name}`, answer, flags);
    },
  );

  for (const verb of ['pin', 'unpin'] as const) {
    program
      .command(`${verb} <config>`)
      .description(verb === 'pin' ? 'stop autodeploy from moving a config' : 'let autodeploy move a config again (to the newest green build at once)')
      .option('--reason <text>', 'why', '')
      .action(async (name: string, flags: { reason: string }) => {
        const ctx = context();
        const path = verb === 'pin' ? '/api/configs/{name}/pin' : '/api/configs/{name}/unpin';
        const answer = await ok(ctx.client.POST(path, { params: { path: { name } }, body: { reason: flags.reason } }));
        ctx.out.result(answer ?? { config: name, [verb === 'pin' ? 'pinned' : 'unpinned']: true }, () => `${name} ${verb}ned`);
      });
  }

  program
    .command('events')
    .description('the raw event log (admin)')
    .option('--stream <stream>', 'one stream, e.g. config-billing-api')
    .option('--after <cursor>', 'the "next" of the previous page')
    .option('--limit <n>', 'how many', positiveInt('--limit'), 50)
    .action(async (flags: { stream?: string; after?: string; limit: number }) => {
      const ctx = context();
      const page = (await ok(ctx.client.GET('/api/events', { params: { query: { stream: flags.stream, after: flags.after, limit: flags.limit } } }))) as unknown as {
        events: Array<{ id: string; type: string; version: number; stream: string; occurredAt: string }>;
        next: string | null;
      };
      ctx.out.table(
        page.events,
        [
          ['WHEN', (e) => e.occurredAt],
          ['TYPE', (e) => `${e.type} v${e.version}`],
          ['STREAM', (e) => e.stream],
          ['ID', (e) => e.id],
        ],
        page,
      );
      if (!ctx.out.json && page.next) ctx.progress(`next page: sluice events --after ${page.next}${flags.stream ? ` --stream ${flags.stream}` : ''}`, true);
    });

  program
    .command('sync')
    .description('a global sync of every repository the SCM credentials see (admin), with its progress')
    .option('--no-wait', 'start it and return')
    .action(async (flags: { wait: boolean }) => {
      const ctx = context();
      const { syncId, started } = await ok(ctx.client.POST('/api/admin/sync'));
      ctx.progress(`${started ? 'started' : 'joined the running'} sync ${syncId}`, true);
      if (!flags.wait) return ctx.out.result({ syncId, started }, () => syncId);
      for (;;) {
        const p = await ok(ctx.client.GET('/api/admin/sync/{syncId}', { params: { path: { syncId } } }));
        ctx.progress(`${bar(p.repos.done, p.repos.total)} ${p.repos.done}/${p.repos.total ?? '?'} repositories, ${p.configs} configs, ${p.errors.length} errors`, p.state !== 'running');
        if (p.state !== 'running') {
          ctx.out.result(p, () => `sync ${p.state}: ${p.repos.done} repositories, ${p.branches} branches, ${p.commits} commits, ${p.configs} configs`);
          if (p.state === 'failed' || p.errors.length) throw new CommandFailed(`sync ${p.state} with ${p.errors.length} errors: ${p.errors.slice(0, 3).map((e) => `${e.repo ?? '-'}: ${e.message}`).join('; ')}`);
          return;
        }
        await ctx.sleep(1000);
      }
    });

  program
    .command('replay [views...]')
    .description(`rebuild views from the event log, blue/green, with progress (admin); all of them by default: ${REPLAY_VIEWS.join(', ')}`)
    .action(async (views: ReplayView[]) => {
      const ctx = context();
      const unknown = views.filter((v) => !(REPLAY_VIEWS as readonly string[]).includes(v));
      if (unknown.length) throw new UsageError(`unknown view ${unknown.map((v) => `"${v}"`).join(', ')}: known are ${REPLAY_VIEWS.join(', ')}`);
      const results: Array<ReplayStatus & { view: ReplayView }> = [];
      for (const view of views.length ? views : REPLAY_VIEWS) results.push({ view, ...(await replay(ctx, view)) });
      const failed = results.filter((r) => r.status !== 'done');
      ctx.out.table(results, [['VIEW', (r) => r.view], ['STATUS', (r) => r.status], ['EVENTS', (r) => `${r.processed}/${r.total}`], ['ERROR', (r) => r.error ?? '']], results);
      if (failed.length) throw new CommandFailed(`${failed.length} of ${results.length} rebuilds failed: ${failed.map((r) => `${r.view}: ${r.error}`).join('; ')}`);
    });

  const tokens = program.command('tokens').description('team tokens (admin)');
  tokens
    .command('list', { isDefault: true })
    .description('the team tokens (never the tokens themselves)')
    .action(async () => {
      const ctx = context();
      const page = (await ok(ctx.client.GET('/api/admin/tokens'))) as unknown as { tokens: Array<{ id: string; team: string; createdBy: string; createdAt: string }> };
      ctx.out.table(page.tokens, [['ID', (t) => t.id], ['TEAM', (t) => t.team], ['CREATED', (t) => t.createdAt], ['BY', (t) => t.createdBy]], page);
    });
  tokens
    .command('create <team>')
    .description('a new token for a team, shown once')
    .action(async (team: string) => {
      const ctx = context();
      const created = (await ok(ctx.client.POST('/api/admin/tokens', { body: { team } }))) as unknown as { id: string; token: string };
      ctx.out.result(created, () => created.token);
    });
  tokens
    .command('revoke <id>')
    .description('revoke a team token')
    .action(async (id: string) => {
      const ctx = context();
      await ok(ctx.client.DELETE('/api/admin/tokens/{id}', { params: { path: { id } } }));
      ctx.out.result({ id, revoked: true }, () => `token ${id} revoked`);
    });
}

interface ReplayStatus {
  readonly replayId: string | null;
  readonly status: 'running' | 'done' | 'failed';
  readonly processed: number;
  readonly total: number;
  readonly error: string | null;
}

/** Starts one rebuild (or joins the running one) and polls it to its end; a refusal (409) is its failure. */
async function replay(ctx: Context, view: ReplayView): Promise<ReplayStatus> {
  const path = replayPath(view);
  let status: ReplayStatus;
  try {
    status = (await ok(ctx.client.POST(path as '/api/admin/replay'))) as unknown as ReplayStatus;
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) return { replayId: null, status: 'failed', processed: 0, total: 0, error: `${error.code}: ${error.message}` };
    throw error;
  }
  for (;;) {
    ctx.progress(`${view}: ${bar(status.processed, status.total)} ${status.processed}/${status.total} events, ${status.status}`, status.status !== 'running');
    if (status.status !== 'running') return status;
    await ctx.sleep(1000);
    status = (await ok(ctx.client.GET(`${path}/{id}` as '/api/admin/replay/{id}', { params: { path: { id: status.replayId! } } }))) as unknown as ReplayStatus;
  }
}

function bar(done: number, total: number | null): string {
  const width = 24;
  const filled = total ? Math.round((done / total) * width) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
