import type { GitCommit } from './git-model';
import type { GitHubOpenApi } from './openapi';
import type {
  CheckRunRecord,
  CheckSuiteRecord,
  CommentRecord,
  DeliveryRecord,
  DeploymentRecord,
  DeploymentStatusRecord,
  InstallationRecord,
  PullRecord,
  RepoState,
  StatusRecord,
  WorkflowRunRecord,
} from './state';

type Obj = Record<string, unknown>;

/**
 * Builds API representations from the fixture's own examples, overriding what the fake
 * knows (ids, names, SHAs, states, URLs). Starting from the examples keeps every field the
 * real API sends, so a client reading any of them sees a plausible value.
 */
export class GitHubViews {
  constructor(
    private readonly api: GitHubOpenApi,
    private readonly baseUrl: () => string,
  ) {}

  /** Example with the example repo's names and host replaced by ours. */
  private template(name: string, repo?: RepoState, pick?: (v: unknown) => unknown): Obj {
    let value = this.api.componentExample(name);
    if (pick) value = pick(value);
    const base = this.baseUrl();
    const replace = (s: string): string => {
      let out = s.replace(/https:\/\/api\.github\.com/g, base);
      if (repo) {
        out = out
          .replace(/octocat\/Hello-World|github\/hello-world|octocat\/example|octokit\/octokit\.rb/g, repo.fullName)
          .replace(/\/users\/octocat\b/g, `/users/${repo.owner}`)
          .replace(/github\.com\/octocat\b/g, `github.com/${repo.owner}`);
      }
      return out;
    };
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return replace(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return walk(value) as Obj;
  }

  private repoUrl(repo: RepoState): string {
    return `${this.baseUrl()}/repos/${repo.fullName}`;
  }

  private setApp(t: Obj, app: { id: number; slug: string; name: string }): void {
    if (t.app && typeof t.app === 'object') {
      Object.assign(t.app as Obj, {
        id: app.id,
        slug: app.slug,
        name: app.name,
        node_id: Buffer.from(`03:Integration${app.id}`).toString('base64'),
        html_url: `https://github.com/apps/${app.slug}`,
      });
    }
  }

  owner(login: string, id = 1): Obj {
    const base = this.baseUrl();
    return {
      login,
      id,
      node_id: Buffer.from(`04:User${id}`).toString('base64'),
      avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
      gravatar_id: '',
      url: `${base}/users/${login}`,
      html_url: `https://github.com/${login}`,
      followers_url: `${base}/users/${login}/followers`,
      following_url: `${base}/users/${login}/following{/other_user}`,
      gists_url: `${base}/users/${login}/gists{/gist_id}`,
      starred_url: `${base}/users/${login}/starred{/owner}{/repo}`,
      subscriptions_url: `${base}/users/${login}/subscriptions`,
      organizations_url: `${base}/users/${login}/orgs`,
      repos_url: `${base}/users/${login}/repos`,
      events_url: `${base}/users/${login}/events{/privacy}`,
      received_events_url: `${base}/users/${login}/received_events`,
      type: 'Organization',
      site_admin: false,
    };
  }

  private repoFields(repo: RepoState, t: Obj): Obj {
    const head = repo.branches.get(repo.defaultBranch);
    const pushedAt = head ? repo.git.commits.get(head)?.committer.date ?? repo.createdAt : repo.createdAt;
    Object.assign(t, {
      id: repo.id,
      node_id: Buffer.from(`010:Repository${repo.id}`).toString('base64'),
      name: repo.name,
      full_name: repo.fullName,
      owner: this.owner(repo.owner),
      private: repo.private,
      visibility: repo.private ? 'private' : 'public',
      html_url: `https://github.com/${repo.fullName}`,
      url: this.repoUrl(repo),
      default_branch: repo.defaultBranch,
      created_at: repo.createdAt,
      updated_at: pushedAt,
      pushed_at: pushedAt,
      fork: false,
      archived: false,
      disabled: false,
    });
    if ('language' in t || t.language === undefined) t.language = t.language ?? null;
    return t;
  }

  /** `full-repository` (GET /repos/{owner}/{repo}). */
  fullRepository(repo: RepoState): Obj {
    const t = this.template('full-repository-default-response', repo);
    delete t.parent;
    delete t.source;
    delete t.template_repository;
    delete t.organization;
    return this.repoFields(repo, t);
  }

  /** `repository` (installation and user listings). */
  repository(repo: RepoState): Obj {
    const t = this.template('repository-items-default-response', repo, (v) => (v as unknown[])[0]);
    delete t.template_repository;
    return this.repoFields(repo, t);
  }

  /** `minimal-repository` (org listing). */
  minimalRepository(repo: RepoState): Obj {
    const t = this.template('minimal-repository-items', repo, (v) => (v as unknown[])[0]);
    return this.repoFields(repo, t);
  }

  shortBranch(repo: RepoState, name: string, sha: string): Obj {
    return {
      name,
      commit: { sha, url: `${this.repoUrl(repo)}/commits/${sha}` },
      protected: false,
      protection: { enabled: false, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
      protection_url: `${this.repoUrl(repo)}/branches/${encodeURIComponent(name)}/protection`,
    };
  }

  branch(repo: RepoState, name: string, commit: GitCommit): Obj {
    const t = this.template('branch-get', repo);
    Object.assign(t, {
      name,
      commit: this.commit(repo, commit),
      protected: false,
      protection: { enabled: false, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
      protection_url: `${this.repoUrl(repo)}/branches/${encodeURIComponent(name)}/protection`,
      _links: { html: `https://github.com/${repo.fullName}/tree/${name}`, self: `${this.repoUrl(repo)}/branches/${encodeURIComponent(name)}` },
    });
    return t;
  }

  /** `commit`; with `files` (the diff against the first parent) for GET commits/{ref}. */
  commit(repo: RepoState, c: GitCommit, files?: Obj[]): Obj {
    const t = this.template('commit', repo);
    const url = this.repoUrl(repo);
    const gitUser = (who: GitCommit['author']): Obj => ({ name: who.name, email: who.email, date: who.date });
    Object.assign(t, {
      url: `${url}/commits/${c.sha}`,
      sha: c.sha,
      node_id: Buffer.from(`06:Commit${repo.id}:${c.sha}`).toString('base64'),
      html_url: `https://github.com/${repo.fullName}/commit/${c.sha}`,
      comments_url: `${url}/commits/${c.sha}/comments`,
      commit: {
        ...(t.commit as Obj),
        url: `${url}/git/commits/${c.sha}`,
        author: gitUser(c.author),
        committer: gitUser(c.committer),
        message: c.message,
        tree: { url: `${url}/git/trees/${c.tree}`, sha: c.tree },
        comment_count: 0,
      },
      parents: c.parents.map((p) => ({ sha: p, url: `${url}/commits/${p}`, html_url: `https://github.com/${repo.fullName}/commit/${p}` })),
    });
    if (files) {
      const additions = files.reduce((n, f) => n + Number(f.additions), 0);
      const deletions = files.reduce((n, f) => n + Number(f.deletions), 0);
      t.files = files;
      t.stats = { additions, deletions, total: additions + deletions };
    } else {
      delete t.files;
      delete t.stats;
    }
    return t;
  }

  diffEntry(repo: RepoState, commitSha: string, path: string, status: 'added' | 'removed' | 'modified', sha: string, lines: { add: number; del: number }): Obj {
    const url = this.repoUrl(repo);
    return {
      sha,
      filename: path,
      status,
      additions: lines.add,
      deletions: lines.del,
      changes: lines.add + lines.del,
      blob_url: `https://github.com/${repo.fullName}/blob/${commitSha}/${path}`,
      raw_url: `https://github.com/${repo.fullName}/raw/${commitSha}/${path}`,
      contents_url: `${url}/contents/${path}?ref=${commitSha}`,
    };
  }

  status(repo: RepoState, s: StatusRecord): Obj {
    const t = this.template('status', repo);
    Object.assign(t, {
      url: `${this.repoUrl(repo)}/statuses/${s.sha}`,
      id: s.id,
      node_id: Buffer.from(`06:Status${s.id}`).toString('base64'),
      state: s.state,
      description: s.description,
      target_url: s.target_url,
      context: s.context,
      created_at: s.created_at,
      updated_at: s.updated_at,
    });
    return t;
  }

  combinedStatus(repo: RepoState, sha: string, latest: StatusRecord[], state: string, total: number): Obj {
    const t = this.template('combined-commit-status', repo);
    const repoView = this.minimalRepository(repo);
    Object.assign(t, {
      state,
      sha,
      total_count: total,
      statuses: latest.map((s) => {
        const v = this.status(repo, s);
        return {
          url: v.url,
          avatar_url: v.avatar_url,
          id: v.id,
          node_id: v.node_id,
          state: v.state,
          description: v.description,
          target_url: v.target_url,
          context: v.context,
          created_at: v.created_at,
          updated_at: v.updated_at,
          required: false,
        };
      }),
      repository: repoView,
      commit_url: `${this.repoUrl(repo)}/commits/${sha}`,
      url: `${this.repoUrl(repo)}/commits/${sha}/status`,
    });
    return t;
  }

  checkRun(repo: RepoState, r: CheckRunRecord): Obj {
    const t = this.template('check-run', repo);
    const url = this.repoUrl(repo);
    Object.assign(t, {
      id: r.id,
      head_sha: r.head_sha,
      node_id: Buffer.from(`08:CheckRun${r.id}`).toString('base64'),
      external_id: r.external_id ?? '',
      url: `${url}/check-runs/${r.id}`,
      html_url: `https://github.com/${repo.fullName}/runs/${r.id}`,
      details_url: r.details_url,
      status: r.status,
      conclusion: r.conclusion,
      started_at: r.started_at,
      completed_at: r.completed_at,
      output: { ...r.output, annotations_count: 0, annotations_url: `${url}/check-runs/${r.id}/annotations` },
      name: r.name,
      check_suite: { id: r.check_suite_id },
      pull_requests: [],
    });
    this.setApp(t, r.app);
    return t;
  }

  checkSuite(repo: RepoState, s: CheckSuiteRecord, latestRunsCount: number): Obj {
    const t = this.template('check-suite-paginated', repo, (v) => (v as Obj & { check_suites: unknown[] }).check_suites[0]);
    Object.assign(t, {
      id: s.id,
      node_id: Buffer.from(`010:CheckSuite${s.id}`).toString('base64'),
      head_branch: s.head_branch,
      head_sha: s.head_sha,
      status: s.status,
      conclusion: s.conclusion,
      url: `${this.repoUrl(repo)}/check-suites/${s.id}`,
      before: null,
      after: s.head_sha,
      pull_requests: [],
      repository: this.minimalRepository(repo),
      created_at: s.created_at,
      updated_at: s.updated_at,
      latest_check_runs_count: latestRunsCount,
      check_runs_url: `${this.repoUrl(repo)}/check-suites/${s.id}/check-runs`,
    });
    this.setApp(t, s.app);
    return t;
  }

  contentFile(repo: RepoState, path: string, sha: string, content: Buffer, ref: string): Obj {
    const url = this.repoUrl(repo);
    const name = path.split('/').pop() ?? path;
    const self = `${url}/contents/${path}?ref=${ref}`;
    return {
      type: 'file',
      encoding: 'base64',
      size: content.length,
      name,
      path,
      // GitHub wraps base64 content at 60 characters.
      content: content.toString('base64').replace(/(.{60})/g, '$1\n'),
      sha,
      url: self,
      git_url: `${url}/git/blobs/${sha}`,
      html_url: `https://github.com/${repo.fullName}/blob/${ref}/${path}`,
      download_url: `https://raw.githubusercontent.com/${repo.fullName}/${ref}/${path}`,
      _links: { self, git: `${url}/git/blobs/${sha}`, html: `https://github.com/${repo.fullName}/blob/${ref}/${path}` },
    };
  }

  contentEntry(repo: RepoState, path: string, type: 'file' | 'dir', sha: string, size: number, ref: string): Obj {
    const url = this.repoUrl(repo);
    const self = `${url}/contents/${path}?ref=${ref}`;
    const git = `${url}/git/${type === 'dir' ? 'trees' : 'blobs'}/${sha}`;
    const html = `https://github.com/${repo.fullName}/${type === 'dir' ? 'tree' : 'blob'}/${ref}/${path}`;
    return {
      type,
      size,
      name: path.split('/').pop() ?? path,
      path,
      sha,
      url: self,
      git_url: git,
      html_url: html,
      download_url: type === 'file' ? `https://raw.githubusercontent.com/${repo.fullName}/${ref}/${path}` : null,
      _links: { self, git, html },
    };
  }

  fileCommit(repo: RepoState, path: string, blobSha: string, size: number, c: GitCommit, branch: string): Obj {
    const url = this.repoUrl(repo);
    const entry = this.contentEntry(repo, path, 'file', blobSha, size, branch);
    const t = this.template('file-commit-example-for-creating-a-file', repo);
    const commit = t.commit as Obj;
    Object.assign(commit, {
      sha: c.sha,
      node_id: Buffer.from(`06:Commit${repo.id}:${c.sha}`).toString('base64'),
      url: `${url}/git/commits/${c.sha}`,
      html_url: `https://github.com/${repo.fullName}/commit/${c.sha}`,
      author: { ...c.author },
      committer: { ...c.committer },
      message: c.message,
      tree: { url: `${url}/git/trees/${c.tree}`, sha: c.tree },
      parents: c.parents.map((p) => ({ url: `${url}/git/commits/${p}`, html_url: `https://github.com/${repo.fullName}/commit/${p}`, sha: p })),
    });
    return { content: entry, commit };
  }

  tree(repo: RepoState, sha: string, entries: { path: string; mode: string; type: 'blob' | 'tree'; sha: string; size?: number }[]): Obj {
    const url = this.repoUrl(repo);
    return {
      sha,
      url: `${url}/git/trees/${sha}`,
      tree: entries.map((e) => ({
        path: e.path,
        mode: e.mode,
        type: e.type,
        sha: e.sha,
        ...(e.type === 'blob' ? { size: e.size ?? 0 } : {}),
        url: `${url}/git/${e.type === 'blob' ? 'blobs' : 'trees'}/${e.sha}`,
      })),
      truncated: false,
    };
  }

  blob(repo: RepoState, sha: string, content: Buffer): Obj {
    return {
      content: content.toString('base64').replace(/(.{60})/g, '$1\n'),
      encoding: 'base64',
      url: `${this.repoUrl(repo)}/git/blobs/${sha}`,
      sha,
      size: content.length,
      node_id: Buffer.from(`04:Blob${repo.id}:${sha}`).toString('base64'),
    };
  }

  workflowRun(repo: RepoState, r: WorkflowRunRecord): Obj {
    const t = this.template('workflow-run-paginated', repo, (v) => (v as Obj & { workflow_runs: unknown[] }).workflow_runs[0]);
    const url = this.repoUrl(repo);
    const c = repo.git.commits.get(r.head_sha);
    Object.assign(t, {
      id: r.id,
      name: r.name,
      node_id: Buffer.from(`011:WorkflowRun${r.id}`).toString('base64'),
      head_branch: r.head_branch,
      head_sha: r.head_sha,
      path: r.path,
      run_number: r.run_number,
      event: r.event,
      status: r.status,
      conclusion: r.conclusion,
      workflow_id: r.workflow_id,
      url: `${url}/actions/runs/${r.id}`,
      html_url: `https://github.com/${repo.fullName}/actions/runs/${r.id}`,
      created_at: r.created_at,
      updated_at: r.updated_at,
      run_started_at: r.created_at,
      repository: this.minimalRepository(repo),
      head_repository: this.minimalRepository(repo),
      pull_requests: [],
      head_commit: c
        ? {
            id: c.sha,
            tree_id: c.tree,
            message: c.message,
            timestamp: c.committer.date,
            author: { name: c.author.name, email: c.author.email },
            committer: { name: c.committer.name, email: c.committer.email },
          }
        : null,
    });
    return t;
  }

  delivery(repo: RepoState | undefined, d: DeliveryRecord): Obj {
    return {
      id: d.id,
      guid: d.guid,
      delivered_at: d.delivered_at,
      redelivery: d.redelivery,
      duration: d.duration,
      status: d.status,
      status_code: d.status_code,
      event: d.event,
      action: d.action,
      installation_id: d.installation_id ?? null,
      repository_id: repo?.id ?? null,
      throttled_at: null,
    };
  }

  deployment(repo: RepoState, d: DeploymentRecord): Obj {
    const t = this.template('deployment-simple-example', repo);
    const url = this.repoUrl(repo);
    Object.assign(t, {
      url: `${url}/deployments/${d.id}`,
      id: d.id,
      node_id: Buffer.from(`010:Deployment${d.id}`).toString('base64'),
      sha: d.sha,
      ref: d.ref,
      task: d.task,
      payload: d.payload ?? {},
      original_environment: d.environment,
      environment: d.environment,
      description: d.description,
      transient_environment: d.transient_environment,
      production_environment: d.production_environment,
      creator: this.owner('sluice-bot', 2),
      created_at: d.created_at,
      updated_at: d.updated_at,
      statuses_url: `${url}/deployments/${d.id}/statuses`,
      repository_url: url,
    });
    return t;
  }

  deploymentStatus(repo: RepoState, d: DeploymentRecord, s: DeploymentStatusRecord): Obj {
    const t = this.template('deployment-status', repo);
    const url = this.repoUrl(repo);
    Object.assign(t, {
      url: `${url}/deployments/${d.id}/statuses/${s.id}`,
      id: s.id,
      node_id: Buffer.from(`016:DeploymentStatus${s.id}`).toString('base64'),
      state: s.state,
      creator: this.owner('sluice-bot', 2),
      description: s.description,
      environment: s.environment,
      target_url: s.target_url,
      created_at: s.created_at,
      updated_at: s.updated_at,
      deployment_url: `${url}/deployments/${d.id}`,
      repository_url: url,
      environment_url: s.environment_url,
      log_url: s.log_url,
    });
    // No environment URL given: GitHub's "" is no `uri`, and the field is optional — left out.
    if (!s.environment_url) delete t.environment_url;
    return t;
  }

  pull(repo: RepoState, p: PullRecord): Obj {
    const t = this.template('pull-request', repo);
    const url = this.repoUrl(repo);
    const side = (orig: unknown, ref: { ref: string; sha: string }): Obj => ({
      ...(orig as Obj),
      label: `${repo.owner}:${ref.ref}`,
      ref: ref.ref,
      sha: ref.sha,
      repo: this.repository(repo),
      user: this.owner(repo.owner),
    });
    Object.assign(t, {
      url: `${url}/pulls/${p.number}`,
      id: p.id,
      number: p.number,
      state: p.state,
      title: p.title,
      body: p.body,
      merged: p.merged,
      head: side(t.head, p.head),
      base: side(t.base, p.base),
      requested_teams: [],
      html_url: `https://github.com/${repo.fullName}/pull/${p.number}`,
    });
    return t;
  }

  issueComment(repo: RepoState, c: CommentRecord): Obj {
    const t = this.template('issue-comment', repo);
    const url = this.repoUrl(repo);
    Object.assign(t, {
      id: c.id,
      node_id: Buffer.from(`012:IssueComment${c.id}`).toString('base64'),
      url: `${url}/issues/comments/${c.id}`,
      html_url: `https://github.com/${repo.fullName}/issues/${c.issue_number}#issuecomment-${c.id}`,
      body: c.body,
      user: this.owner('sluice-bot', 2),
      created_at: c.created_at,
      updated_at: c.updated_at,
      issue_url: `${url}/issues/${c.issue_number}`,
    });
    return t;
  }

  installation(i: InstallationRecord, appId: number): Obj {
    const t = this.template('base-installation-items', undefined, (v) => (v as unknown[])[0]);
    const account = this.owner(i.account, i.id + 100);
    Object.assign(account, { name: i.account, slug: i.account, created_at: '2020-01-01T00:00:00Z', updated_at: '2020-01-01T00:00:00Z' });
    Object.assign(t, {
      id: i.id,
      account,
      access_tokens_url: `${this.baseUrl()}/app/installations/${i.id}/access_tokens`,
      repositories_url: `${this.baseUrl()}/installation/repositories`,
      html_url: `https://github.com/organizations/${i.account}/settings/installations/${i.id}`,
      app_id: appId,
      target_id: i.id + 100,
      permissions: i.permissions,
      repository_selection: i.repositories ? 'selected' : 'all',
    });
    return t;
  }
}
