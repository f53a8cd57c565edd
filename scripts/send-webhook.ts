// Signs and sends a GitHub webhook to Sluice, built from a real payload GitHub sent
// (@octokit/webhooks-examples) with the repository, branch and SHA you name.
//   node --require @swc-node/register scripts/send-webhook.ts push --repo acme/deploy-configs --branch main --sha <sha>
//   node --require @swc-node/register scripts/send-webhook.ts build --repo acme/billing --branch main --sha <sha> [--workflow ci] [--conclusion success]
// Target and secret: --url (default http://127.0.0.1:8080/webhooks/github) and
// --secret (default $GITHUB_WEBHOOK_SECRET).
import { parseArgs } from 'node:util';
import { examplePayload, githubWebhookRequest } from '@sluice/fake-scm';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8080/webhooks/github' },
    secret: { type: 'string', default: process.env.GITHUB_WEBHOOK_SECRET },
    repo: { type: 'string' },
    branch: { type: 'string', default: 'main' },
    sha: { type: 'string' },
    before: { type: 'string', default: '0'.repeat(40) },
    workflow: { type: 'string', default: 'ci' },
    conclusion: { type: 'string', default: 'success' },
  },
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function repository(template: Json, fullName: string): Json {
  const [owner, name] = fullName.split('/');
  return { ...template, name, full_name: fullName, default_branch: 'main', owner: { ...template.owner, login: owner, name: owner } };
}

function build(kind: string): { event: string; payload: Json } {
  const { repo, branch, sha } = values;
  if (!repo || !sha || !/^[0-9a-f]{40}$/.test(sha)) throw new Error('--repo owner/name and --sha <40 hex> are required');
  if (kind === 'push') {
    const p = examplePayload<Json>('push');
    const commit = { ...(p.head_commit ?? p.commits?.[0] ?? {}), id: sha, tree_id: sha, message: 'pushed by send-webhook', timestamp: new Date().toISOString() };
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
  throw new Error(`unknown kind "${kind}": use push or build`);
}

async function main(): Promise<void> {
  if (!values.secret) throw new Error('--secret or GITHUB_WEBHOOK_SECRET is required');
  const { event, payload } = build(positionals[0] ?? '');
  const request = githubWebhookRequest({ event, payload, secret: values.secret });
  const response = await fetch(values.url!, { method: 'POST', headers: request.headers, body: request.body });
  process.stdout.write(`${response.status} ${await response.text()}\n`);
  if (!response.ok) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
