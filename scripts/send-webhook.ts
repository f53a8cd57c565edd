// Signs and sends a GitHub webhook to Sluice, built from a real payload GitHub sent
// (@octokit/webhooks-examples) with the repository, branch and SHA you name.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { examplePayload, githubWebhookRequest } from '@sluice/fake-scm';
import { postAndPrint, runScript } from './script-support';

const USAGE = `usage: node --require @swc-node/register scripts/send-webhook.ts <push|build> --repo owner/name --sha <40 hex> [options]

  push    a push of --sha to --branch (event push)
  build   a completed build of --sha on --branch (event workflow_run, action completed)

options:
  --repo owner/name     the repository (required)
  --sha <sha>           the commit, 40 hex digits (required)
  --branch <name>       default main
  --before <sha>        push: the previous head (default 40 zeros: a new branch)
  --workflow <name>     build: the workflow name (default ci)
  --conclusion <c>      build: success, failure, cancelled, ... (default success)
  --url <url>           default http://127.0.0.1:$SLUICE_PORT/webhooks/github (SLUICE_PORT default 8080)
  --secret <secret>     default $GITHUB_WEBHOOK_SECRET, else the one the all-in-one generated
                        in $SLUICE_DATA_DIR/webhook-secret (SLUICE_DATA_DIR default .sluice)
  -h, --help            this text

A push carries the commit's message, author and time read from $GITHUB_API_URL when it is set.

Prints the answer's status and body; exits 1 unless it is 2xx.
`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    help: { type: 'boolean', short: 'h', default: false },
    url: { type: 'string', default: `http://127.0.0.1:${process.env.SLUICE_PORT || '8080'}/webhooks/github` },
    secret: { type: 'string', default: process.env.GITHUB_WEBHOOK_SECRET },
    repo: { type: 'string' },
    branch: { type: 'string', default: 'main' },
    sha: { type: 'string' },
    before: { type: 'string', default: '0'.repeat(40) },
    workflow: { type: 'string', default: 'ci' },
    conclusion: { type: 'string', default: 'success' },
  },
});

/** The secret the all-in-one generated on first start, when none was given. */
function generatedSecret(): string | undefined {
  try {
    return readFileSync(join(process.env.SLUICE_DATA_DIR || '.sluice', 'webhook-secret'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The example's repository under `fullName`, with an id of its own: Sluice knows a repository by
 * GitHub's id (docs/architecture.md §2), so two names sharing the example's id would be one
 * repository renamed. The same name always gets the same id.
 */
function repository(template: Json, fullName: string): Json {
  const [owner, name] = fullName.split('/');
  const id = parseInt(createHash('sha256').update(fullName.toLowerCase()).digest('hex').slice(0, 8), 16);
  return { ...template, id, node_id: Buffer.from(`010:Repository${id}`).toString('base64'), name, full_name: fullName, default_branch: 'main', owner: { ...template.owner, login: owner, name: owner } };
}

/**
 * The pushed commit's message, author and time as GitHub puts them in a push, read from the GitHub
 * API at $GITHUB_API_URL (the fake's or a real one) when it is set; otherwise a fixed message.
 */
async function headCommit(repo: string, sha: string): Promise<Json> {
  const fallback = { message: 'pushed by send-webhook', timestamp: new Date().toISOString() };
  const api = process.env.GITHUB_API_URL;
  if (!api) return fallback;
  const token = process.env.GITHUB_TOKEN;
  const res = await fetch(`${api.replace(/\/$/, '')}/repos/${repo}/commits/${sha}`, { headers: token ? { authorization: `token ${token}` } : {} });
  if (!res.ok) return fallback;
  const { commit } = (await res.json()) as { commit: { message: string; author: { name: string; email: string; date: string } } };
  const author = { name: commit.author.name, email: commit.author.email, username: null };
  return { message: commit.message, timestamp: commit.author.date, author, committer: author };
}

async function build(kind: string): Promise<{ event: string; payload: Json }> {
  const { repo, branch, sha } = values;
  if (!repo || !sha || !/^[0-9a-f]{40}$/.test(sha)) throw new Error(`--repo owner/name and --sha <40 hex> are required\n\n${USAGE}`);
  if (kind === 'push') {
    const p = examplePayload<Json>('push');
    const commit = { ...(p.head_commit ?? p.commits?.[0] ?? {}), id: sha, tree_id: sha, ...(await headCommit(repo, sha)) };
    return {
      event: 'push',
      payload: { ...p, ref: `refs/heads/${branch}`, before: values.before, after: sha, created: false, deleted: false, forced: false, head_commit: commit, commits: [commit], repository: repository(p.repository, repo) },
    };
  }
  if (kind === 'build') {
    const p = examplePayload<Json>('workflow_run', 'completed');
    const run = { ...p.workflow_run, name: values.workflow, head_sha: sha, head_branch: branch, status: 'completed', conclusion: values.conclusion, repository: repository(p.workflow_run.repository, repo), head_repository: repository(p.workflow_run.head_repository, repo) };
    return { event: 'workflow_run', payload: { ...p, action: 'completed', workflow_run: run, repository: repository(p.repository, repo) } };
  }
  throw new Error(`unknown kind "${kind}": use push or build\n\n${USAGE}`);
}

async function main(): Promise<void> {
  if (values.help) return void process.stdout.write(USAGE);
  const secret = values.secret ?? generatedSecret();
  if (!secret) throw new Error(`--secret, GITHUB_WEBHOOK_SECRET or $SLUICE_DATA_DIR/webhook-secret is required\n\n${USAGE}`);
  const { event, payload } = await build(positionals[0] ?? '');
  const request = githubWebhookRequest({ event, payload, secret });
  await postAndPrint(values.url!, request);
}

runScript(main);
