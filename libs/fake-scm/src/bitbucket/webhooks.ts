import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signWebhook } from '../github/webhooks';

type Obj = Record<string, unknown>;

/** Atlassian's example payloads (fixtures/README.md), by `X-Event-Key`. */
export const BITBUCKET_EXAMPLE_FILES = {
  'repo:push': 'repo-push.json',
  'repo:commit_status_created': 'repo-commit-status-created.json',
  'repo:commit_status_updated': 'repo-commit-status-updated.json',
  'pullrequest:created': 'pullrequest-created.json',
} as const;
export type BitbucketExampleEvent = keyof typeof BITBUCKET_EXAMPLE_FILES;

/** The example payload of `event`, unedited; a deep copy: change it freely. */
export function bitbucketExamplePayload<T = Obj>(event: BitbucketExampleEvent): T {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', BITBUCKET_EXAMPLE_FILES[event]), 'utf8')) as T;
}

export interface BitbucketWebhookRequest {
  readonly headers: Record<string, string>;
  /** The exact bytes to send (and to sign). */
  readonly body: string;
  readonly deliveryId: string;
}

/**
 * Headers and raw body of a webhook delivery as Bitbucket Cloud sends it: `X-Event-Key`,
 * `X-Request-UUID`, `X-Hook-UUID`, `X-Attempt-Number`, and `X-Hub-Signature` (`sha256=<hex>`,
 * HMAC-SHA256 of the body) when `secret` is given.
 */
export function bitbucketWebhookRequest(options: { event: string; payload: unknown; secret?: string; deliveryId?: string; attempt?: number }): BitbucketWebhookRequest {
  const body = JSON.stringify(options.payload);
  const deliveryId = options.deliveryId ?? randomUUID();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'Bitbucket-Webhooks/2.0',
    'x-event-key': options.event,
    'x-request-uuid': deliveryId,
    'x-hook-uuid': '1a2b3c4d-0000-4000-8000-000000000001',
    'x-attempt-number': String(options.attempt ?? 1),
  };
  if (options.secret !== undefined) headers['x-hub-signature'] = signWebhook(options.secret, body);
  return { headers, body, deliveryId };
}

export interface BitbucketCommitInput {
  readonly sha: string;
  readonly message?: string;
  readonly author?: string;
  readonly date?: string;
}

/** A repository as payloads name it: `workspace/slug`. */
export interface BitbucketRepoRef {
  readonly fullName: string;
  readonly private?: boolean;
  /** Only some deliveries name it (`mainbranch`); unset = left out, as in Atlassian's examples. */
  readonly mainBranch?: string;
}

/**
 * Webhook payloads of a repository, built from Atlassian's examples with the repository, refs and
 * commits replaced: the rest of each payload is what the examples show.
 */
export class BitbucketEventPayloads {
  private repository(template: unknown, r: BitbucketRepoRef): Obj {
    const [workspace, slug] = r.fullName.split('/') as [string, string];
    const out: Obj = {
      ...(template as Obj),
      full_name: r.fullName,
      name: slug,
      is_private: r.private ?? true,
      links: {
        self: { href: `https://api.bitbucket.org/2.0/repositories/${r.fullName}` },
        html: { href: `https://bitbucket.org/${r.fullName}` },
        avatar: { href: `https://bytebucket.org/ravatar/${workspace}` },
      },
    };
    if (r.mainBranch) out.mainbranch = { type: 'branch', name: r.mainBranch };
    return out;
  }

  private commit(template: unknown, r: BitbucketRepoRef, c: BitbucketCommitInput): Obj {
    const t = template as Obj;
    return {
      ...t,
      hash: c.sha,
      message: c.message ?? 'commit\n',
      date: c.date ?? '2026-01-01T00:00:00+00:00',
      author: { ...(t.author as Obj), raw: c.author ?? 'Sluice Tester <tester@example.com>' },
      links: { self: { href: `https://api.bitbucket.org/2.0/repositories/${r.fullName}/commit/${c.sha}` }, html: { href: `https://bitbucket.org/${r.fullName}/commits/${c.sha}` } },
    };
  }

  /**
   * A `repo:push` of one ref: `before` null creates it, `after` null deletes it; `commits` oldest
   * first (the payload lists them newest first, at most 5, as Bitbucket does).
   */
  push(r: BitbucketRepoRef, options: { branch?: string; tag?: string; before: BitbucketCommitInput | null; after: BitbucketCommitInput | null; commits?: readonly BitbucketCommitInput[]; forced?: boolean }): { event: 'repo:push'; payload: Obj } {
    const p = bitbucketExamplePayload<Obj>('repo:push');
    const change = (p.push as { changes: Obj[] }).changes[0]!;
    const type = options.tag !== undefined ? 'tag' : 'branch';
    const name = options.tag ?? options.branch ?? r.mainBranch ?? 'main';
    const state = (template: unknown, c: BitbucketCommitInput | null) =>
      c ? { ...(template as Obj), type, name, target: this.commit((template as Obj).target, r, c), links: { html: { href: `https://bitbucket.org/${r.fullName}/branch/${name}` } } } : null;
    const commitTemplate = (change.commits as Obj[])[0];
    const commits = [...(options.commits ?? [])].reverse().slice(0, 5).map((c) => this.commit(commitTemplate, r, c));
    Object.assign(change, {
      new: state(change.new, options.after),
      old: state(change.old, options.before),
      created: options.before === null,
      closed: options.after === null,
      forced: options.forced ?? false,
      commits,
      truncated: (options.commits?.length ?? 0) > 5,
    });
    p.repository = this.repository(p.repository, r);
    return { event: 'repo:push', payload: p };
  }

  /** A `repo:commit_status_created`/`_updated` of the build status `key` on `sha`. */
  commitStatus(
    r: BitbucketRepoRef,
    options: { sha: string; key: string; name?: string; state: 'INPROGRESS' | 'SUCCESSFUL' | 'FAILED' | 'STOPPED'; refname?: string | null; updated?: boolean; createdOn?: string; updatedOn?: string },
  ): { event: 'repo:commit_status_created' | 'repo:commit_status_updated'; payload: Obj } {
    const event = options.updated ? 'repo:commit_status_updated' : 'repo:commit_status_created';
    const p = bitbucketExamplePayload<Obj>(event);
    const s = p.commit_status as Obj;
    const self = `https://api.bitbucket.org/2.0/repositories/${r.fullName}/commit/${options.sha}`;
    Object.assign(s, {
      key: options.key,
      name: options.name ?? s.name,
      state: options.state,
      refname: options.refname ?? null,
      url: `https://ci.example.com/${r.fullName}/${options.key}`,
      created_on: options.createdOn ?? '2026-01-01T10:00:00.000000+00:00',
      updated_on: options.updatedOn ?? options.createdOn ?? '2026-01-01T10:00:00.000000+00:00',
      commit: { type: 'commit', hash: options.sha, links: { self: { href: self } } },
      links: { commit: { href: self }, self: { href: `${self}/statuses/build/${options.key}` } },
    });
    p.repository = this.repository(p.repository, r);
    return { event, payload: p };
  }

  /** A `pullrequest:*` event; Bitbucket abbreviates the commit hashes to 12 characters unless `fullHashes`. */
  pullRequest(
    r: BitbucketRepoRef,
    options: { id: number; event: 'pullrequest:created' | 'pullrequest:updated' | 'pullrequest:fulfilled' | 'pullrequest:rejected'; sourceBranch: string; targetBranch?: string; headSha: string; baseSha: string; fullHashes?: boolean },
  ): { event: string; payload: Obj } {
    const p = bitbucketExamplePayload<Obj>('pullrequest:created');
    const pr = p.pullrequest as Obj;
    const hash = (h: string) => (options.fullHashes ? h : h.slice(0, 12));
    const repository = this.repository(p.repository, r);
    const state = { 'pullrequest:fulfilled': 'MERGED', 'pullrequest:rejected': 'DECLINED' }[options.event as string] ?? 'OPEN';
    Object.assign(pr, {
      id: options.id,
      state,
      source: { branch: { name: options.sourceBranch }, commit: { hash: hash(options.headSha) }, repository },
      destination: { branch: { name: options.targetBranch ?? r.mainBranch ?? 'main' }, commit: { hash: hash(options.baseSha) }, repository },
      links: { self: { href: `https://api.bitbucket.org/2.0/repositories/${r.fullName}/pullrequests/${options.id}` }, html: { href: `https://bitbucket.org/${r.fullName}/pull-requests/${options.id}` } },
    });
    p.repository = repository;
    return { event: options.event, payload: p };
  }
}
